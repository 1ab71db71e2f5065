/**
 * The seam between the extension shell and the messaging client core
 * (shared/client/: account, sessions, outbox/inbox, relay connection).
 *
 * The shell owns the vault, settings, status, locking, the UI contract and the
 * browser surfaces (badge, notifications, alarms). The core owns everything
 * that talks to the relay or touches sessions. `ChatCore` is that seam;
 * `CoreContext` is what the shell hands it.
 *
 * `createClientCore` (chat-core.ts) is the real one, on shared/client;
 * `createUnavailableCore` is a stand-in for shell tests: no conversations, no
 * relay connection, and CORE_UNAVAILABLE for actions.
 *
 * Runs in: the service worker.
 */
import type { ClientStorage } from '../../../shared/client/store.ts';
import type { Random } from '../../../shared/crypto/random.ts';
import { ExtErrorCode, extError } from '../../lib/errors.ts';
import type {
  ContactView,
  ConversationSummary,
  GroupRole,
  GroupView,
  MessagePage,
  MessageView,
  ParleyEvent,
  RegistrationCredentialJson,
  RegistrationStart,
  RelayStatus,
  Settings,
  TimerChoice,
} from '../../lib/protocol.ts';
import type { LockedInbox } from './locked-inbox.ts';

export interface IncomingNotice {
  readonly conversationId: string;
  readonly senderHandle: string;
  /** Group messages: the group's name. */
  readonly groupName?: string;
  /** Shown only if the user opted in to message text in notifications; empty for disappearing messages. */
  readonly text: string;
}

/** What the shell gives the core. */
export interface CoreContext {
  /**
   * Sealed records + CryptoKey slots in IndexedDB. `records` throws
   * VAULT_LOCKED while the vault is locked; `keys` works while locked (put
   * only the device key there: the identity private key belongs in records).
   */
  readonly storage: ClientStorage;
  /** Where frames go while locked (see locked-inbox.ts for the contract). */
  readonly lockedInbox: LockedInbox;
  /** A stored (not transient) frame was sealed into the locked inbox: badge count, content-free notice. */
  readonly lockedArrived?: () => void;
  readonly isUnlocked: () => boolean;
  readonly settings: () => Promise<Settings>;
  /** Tell open pages something changed (they re-fetch). */
  readonly emit: (event: ParleyEvent) => void;
  /** Report the relay connection state; the shell forwards it to pages. */
  readonly setRelayStatus: (status: RelayStatus) => void;
  /** A message arrived for a conversation not currently read: system notification (sender only unless opted in). */
  readonly notify: (notice: IncomingNotice) => void;
  /** The conversation was read: its notification goes away. */
  readonly clearNotification: (conversationId: string) => void;
  /** An open page shows this conversation to the person right now (no notification then). */
  readonly isViewing: (conversationId: string) => boolean;
  /** An account exists: keep the periodic wake-up alarm that restarts a stopped worker. */
  readonly scheduleWake: () => Promise<void>;
  /**
   * The next disappearing-message countdown ends at `at` (null: none runs):
   * keep a chrome.alarms alarm there, which calls `expireDue()` even if the
   * worker was stopped meanwhile.
   */
  readonly scheduleExpiry: (at: number | null) => Promise<void>;
  /**
   * While the vault is locked the client core cannot read the expiry index
   * (its keys are opaque on disk: record-keys.ts); the IndexedDB store then
   * sweeps by coarse buckets itself. Absent (tests over plain memory
   * storage): the client core's own sweep runs locked too.
   */
  readonly lockedSweep?: {
    nextLockedSweep(): Promise<number | null>;
    sweepLocked(now: number): Promise<number>;
  };
  /** Unread total changed: toolbar badge. */
  readonly setUnread: (total: number) => void;
  readonly now: () => number;
  readonly random: Random;
}

/** What the core provides. Every method may assume the vault is open unless noted. */
export interface ChatCore {
  /** Worker start or alarm wake: reconnect if an account exists. Idempotent; may run while locked. */
  resume(): Promise<void>;
  /** The person asked to retry now: connect at once, whatever the backoff says. May run while locked. */
  reconnectNow(): Promise<void>;
  /** After every unlock: drain the locked inbox in order, flush the outbox. */
  onUnlocked(): Promise<void>;
  /** On lock: drop decrypted caches; keep the relay socket, routing frames to the locked inbox. */
  onLocked(): void;
  /** Settings changed (read receipts on/off). */
  onSettings(settings: Settings): void;

  // Onboarding: the WebAuthn ceremony runs in the page between these two.
  /** Ask the relay for creation options. Errors: HANDLE_TAKEN, RELAY_UNREACHABLE. Vault may be absent. */
  beginRegistration(input: { relayUrl: string; handle: string }): Promise<RegistrationStart>;
  /** Vault open: relay verifies the passkey; generate identity + device keys; register device; upload prekeys. */
  finishRegistration(input: {
    relayUrl: string;
    handle: string;
    credential: RegistrationCredentialJson;
  }): Promise<void>;

  listConversations(): Promise<readonly ConversationSummary[]>;
  /** Errors: HANDLE_NOT_FOUND (with the handle), OWN_HANDLE, RELAY_UNREACHABLE. Returns the existing conversation if there is one. */
  startConversation(input: { handle: string }): Promise<ConversationSummary>;
  getMessages(input: {
    conversationId: string;
    before?: string;
    limit: number;
  }): Promise<MessagePage>;
  /** Persists to the outbox first, then sends. Errors: IDENTITY_CHANGED (blocked until acknowledged). */
  sendText(input: { conversationId: string; text: string }): Promise<MessageView>;
  /** Marks read locally and, if read receipts are on, sends an encrypted read receipt. */
  markRead(input: { conversationId: string; upTo: string }): Promise<void>;
  getContact(input: { conversationId: string }): Promise<ContactView>;
  setVerified(input: { userId: string; verified: boolean }): Promise<ContactView>;
  acknowledgeIdentityChange(input: { userId: string }): Promise<ContactView>;
  unreadTotal(): Promise<number>;
  relayStatus(): RelayStatus;

  /** Throttled by the client core; nothing goes out for requests or with typing indicators off. */
  sendTyping(input: { conversationId: string; typing: boolean }): Promise<void>;
  setTimer(input: { conversationId: string; timerMs: TimerChoice }): Promise<ConversationSummary>;
  deleteConversation(input: { conversationId: string }): Promise<void>;
  acceptRequest(input: { conversationId: string }): Promise<ConversationSummary>;
  /** The relay is told first; a failure changes nothing. */
  blockContact(input: { userId: string }): Promise<void>;
  unblockContact(input: { userId: string }): Promise<void>;

  /** Errors: HANDLE_NOT_FOUND (with the handle), OWN_HANDLE. */
  createGroup(input: { name: string; members: readonly string[] }): Promise<ConversationSummary>;
  getGroup(input: { conversationId: string }): Promise<GroupView>;
  renameGroup(input: { conversationId: string; name: string }): Promise<GroupView>;
  addGroupMembers(input: {
    conversationId: string;
    handles: readonly string[];
  }): Promise<GroupView>;
  removeGroupMember(input: { conversationId: string; userId: string }): Promise<GroupView>;
  setGroupRole(input: {
    conversationId: string;
    userId: string;
    role: GroupRole;
  }): Promise<GroupView>;
  leaveGroup(input: { conversationId: string }): Promise<void>;

  /**
   * The expiry alarm fired: delete every disappearing message whose countdown
   * ended. Works while the vault is locked (record keys only). May run locked.
   */
  expireDue(): Promise<number>;
}

export type CreateCore = (context: CoreContext) => ChatCore;

function unavailable(): never {
  throw extError(ExtErrorCode.CORE_UNAVAILABLE, 'Messaging is not available');
}

/** The shell without messaging (shell tests): empty lists, no relay, actions refused. */
export const createUnavailableCore: CreateCore = () => ({
  async resume() {},
  async reconnectNow() {},
  async onUnlocked() {},
  onLocked() {},
  onSettings() {},
  beginRegistration: async () => unavailable(),
  finishRegistration: async () => unavailable(),
  listConversations: async () => [],
  startConversation: async () => unavailable(),
  getMessages: async () => ({ messages: [], before: null }),
  sendText: async () => unavailable(),
  markRead: async () => {},
  getContact: async () => unavailable(),
  setVerified: async () => unavailable(),
  acknowledgeIdentityChange: async () => unavailable(),
  unreadTotal: async () => 0,
  relayStatus: () => ({ state: 'idle' }),
  sendTyping: async () => {},
  setTimer: async () => unavailable(),
  deleteConversation: async () => unavailable(),
  acceptRequest: async () => unavailable(),
  blockContact: async () => unavailable(),
  unblockContact: async () => unavailable(),
  createGroup: async () => unavailable(),
  getGroup: async () => unavailable(),
  renameGroup: async () => unavailable(),
  addGroupMembers: async () => unavailable(),
  removeGroupMember: async () => unavailable(),
  setGroupRole: async () => unavailable(),
  leaveGroup: async () => unavailable(),
  expireDue: async () => 0,
});
