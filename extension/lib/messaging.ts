/**
 * The one contract between the extension's pages and its background service
 * worker: every request a page can make, with its payload and its answer.
 * Transport: @webext-core/messaging over chrome.runtime messages. Answers are
 * wrapped in `RpcResult` so errors keep their stable code on the way back
 * (thrown errors would arrive as plain `Error`s with a stack attached).
 *
 * Payloads are validated in the worker (`schemas.ts`) after the sender check
 * (`entrypoints/background/rpc.ts`). Nothing in an answer is key material.
 *
 * Runs in: pages and the service worker.
 */
import { defineExtensionMessaging } from '@webext-core/messaging';
import type { RpcResult } from './errors.ts';
import type {
  AppStatus,
  ContactView,
  ConversationSummary,
  GroupRole,
  GroupView,
  MessagePage,
  MessageView,
  RegistrationCredentialJson,
  RegistrationStart,
  RelayCheck,
  Settings,
  TimerChoice,
  UnlockOptions,
  VaultCreateSecret,
  VaultUnlockSecret,
} from './protocol.ts';

/** Request type → (payload) → answer. The single source of truth for both sides. */
export interface ParleyProtocol {
  // Status and activity
  getStatus(): AppStatus;
  /** A page saw user input: postpone auto-lock. */
  touch(): null;
  /** "Retry now": connect to the relay at once instead of after the backoff wait. */
  reconnectNow(): AppStatus;

  // Onboarding (the passkey ceremony itself runs in the page: WebAuthn needs a document)
  checkRelay(data: { relayUrl: string }): RelayCheck;
  beginRegistration(data: { relayUrl: string; handle: string }): RegistrationStart;
  createVault(data: VaultCreateSecret): AppStatus;
  finishRegistration(data: { credential: RegistrationCredentialJson }): AppStatus;
  /** Throws away an unfinished onboarding (vault without account). */
  resetOnboarding(): AppStatus;

  // Vault
  getUnlockOptions(): UnlockOptions;
  unlock(data: VaultUnlockSecret): AppStatus;
  lock(): AppStatus;

  // Conversations and messages
  listConversations(): readonly ConversationSummary[];
  startConversation(data: { handle: string }): ConversationSummary;
  getMessages(data: { conversationId: string; before?: string; limit: number }): MessagePage;
  sendText(data: { conversationId: string; text: string }): MessageView;
  markRead(data: { conversationId: string; upTo: string }): null;
  /** The composer's text changed (true) or was sent/left (false); the worker throttles. */
  sendTyping(data: { conversationId: string; typing: boolean }): null;
  /** Disappearing messages: either side of a direct chat, admins of a group. */
  setTimer(data: { conversationId: string; timerMs: TimerChoice }): ConversationSummary;
  /** Deletes the conversation and its messages here (a group is left first). */
  deleteConversation(data: { conversationId: string }): null;

  // Message requests and blocking
  /** Accepts a message request (direct) or a group we were added to. */
  acceptRequest(data: { conversationId: string }): ConversationSummary;
  blockContact(data: { userId: string }): null;
  unblockContact(data: { userId: string }): null;

  // Groups
  createGroup(data: { name: string; members: readonly string[] }): ConversationSummary;
  getGroup(data: { conversationId: string }): GroupView;
  renameGroup(data: { conversationId: string; name: string }): GroupView;
  addGroupMembers(data: { conversationId: string; handles: readonly string[] }): GroupView;
  removeGroupMember(data: { conversationId: string; userId: string }): GroupView;
  /** Owner only; `owner` hands ownership over (we become an admin). */
  setGroupRole(data: { conversationId: string; userId: string; role: GroupRole }): GroupView;
  leaveGroup(data: { conversationId: string }): null;

  // Contacts and safety numbers
  getContact(data: { conversationId: string }): ContactView;
  setVerified(data: { userId: string; verified: boolean }): ContactView;
  acknowledgeIdentityChange(data: { userId: string }): ContactView;

  // Settings
  getSettings(): Settings;
  updateSettings(data: Partial<Settings>): Settings;

  // Which conversation the side panel should show when it opens
  setFocus(data: { conversationId: string }): null;
  takeFocus(): { conversationId: string | null };
}

export type RequestType = keyof ParleyProtocol;
export type RequestOf<K extends RequestType> =
  Parameters<ParleyProtocol[K]> extends [infer D] ? D : undefined;
export type ResponseOf<K extends RequestType> = ReturnType<ParleyProtocol[K]>;

/** What actually travels: the same requests, answered with RpcResult. */
export type WireProtocol = {
  [K in RequestType]: (data: RequestOf<K>) => RpcResult<ResponseOf<K>>;
};

/** Listed once so the worker can register a handler for every type and reject others. */
export const REQUEST_TYPES = [
  'getStatus',
  'touch',
  'reconnectNow',
  'checkRelay',
  'beginRegistration',
  'createVault',
  'finishRegistration',
  'resetOnboarding',
  'getUnlockOptions',
  'unlock',
  'lock',
  'listConversations',
  'startConversation',
  'getMessages',
  'sendText',
  'markRead',
  'sendTyping',
  'setTimer',
  'deleteConversation',
  'acceptRequest',
  'blockContact',
  'unblockContact',
  'createGroup',
  'getGroup',
  'renameGroup',
  'addGroupMembers',
  'removeGroupMember',
  'setGroupRole',
  'leaveGroup',
  'getContact',
  'setVerified',
  'acknowledgeIdentityChange',
  'getSettings',
  'updateSettings',
  'setFocus',
  'takeFocus',
] as const satisfies readonly RequestType[];

// Compile-time proof that REQUEST_TYPES lists every request type exactly.
type Missing = Exclude<RequestType, (typeof REQUEST_TYPES)[number]>;
const _complete: Missing extends never ? true : Missing = true;
void _complete;

const silent = { debug() {}, log() {}, warn() {}, error() {} };

// A silent logger: the library's debug logging would print payloads
// (passphrases, PRF outputs) to the console.
export const messenger = defineExtensionMessaging<WireProtocol>({ logger: silent });
