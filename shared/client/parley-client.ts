/**
 * The client's public API, declared rather than inferred from createClient's
 * return value: the extension, the CLI and the tests program against this,
 * so a change to it is a visible decision, not a side effect of editing the
 * composition in client.ts. docs/client.md describes the behaviour.
 */

import type { UploadPurpose } from '../wire/rest-attachments.ts';
import type { CreationOptions, RegistrationResponse, SessionResponse } from '../wire/rest-auth.ts';
import type {
  Authenticator,
  DeviceAddress,
  IdentityExport,
  MaintenanceResult,
  RegistrationInput,
} from './account/account.ts';
import type { OwnDeviceView } from './account/own-devices.ts';
import type { Settings } from './account/settings.ts';
import type { ClientArchiveApi } from './archive/archive-api.ts';
import type { AttachmentUpload } from './conversations/attachment-api.ts';
import type { TextInput } from './conversations/outgoing-text.ts';
import type { PendingUpload } from './conversations/pending-uploads.ts';
import type { SignedDeviceListApi } from './devices/own-list.ts';
import type { Listener } from './events.ts';
import type { GroupView } from './groups/group-view.ts';
import type { GroupRole } from './groups/state.ts';
import type { GroupTestSeams } from './groups/test-seams.ts';
import type { ConnectionStatus } from './relay/relay-connection.ts';
import type { PresenceView } from './transient/presence.ts';
import type {
  AccountInfo,
  ClientEvents,
  ContactView,
  ConversationView,
  MessagePageView,
  MessageView,
} from './views.ts';

export interface ParleyClient {
  /** Subscribes to a client event; returns the unsubscribe function. */
  on<K extends keyof ClientEvents>(type: K, listener: Listener<ClientEvents[K]>): () => void;
  status(): ConnectionStatus;
  account(): AccountInfo | undefined;
  /** Ids the relay knows this device by (not secret): what `start({ address })` needs while locked. */
  deviceAddress(): DeviceAddress | undefined;

  // Lifecycle
  load(): Promise<AccountInfo | undefined>;
  start(options?: { readonly address?: DeviceAddress }): Promise<void>;
  stop(): Promise<void>;
  /** Skip the reconnect backoff (network back, worker woken by an alarm). */
  reconnectNow(): void;
  /** Resolves when all queued work (incoming, outgoing preparation) has finished. */
  idle(): Promise<void>;
  /** Outbox entries sent but not yet answered by the relay. */
  inFlight(): number;
  /** Entries waiting in the outbox (encrypted or not yet), e.g. to wait before exiting. */
  outboxSize(): Promise<number>;

  /**
   * Our account's signed device list: `current()`, `add(device)` (device
   * linking), `remove(deviceId)` (unlink: the relay revokes it at once),
   * `ensureSelfListed()` (docs/client.md, "Linked devices").
   */
  readonly signedDeviceList: SignedDeviceListApi;

  /**
   * Encrypted archives of this account's state (docs/client.md "Archives"):
   * `export({kind, root, history, seq})` streams a signed, sealed snapshot;
   * `import(source, root)` verifies one and merges it, all or nothing.
   */
  readonly archive: ClientArchiveApi;

  // Account
  beginRegistration(input: {
    readonly relayUrl: string;
    readonly handle: string;
  }): Promise<CreationOptions>;
  finishRegistration(
    input: RegistrationInput & { readonly credential: RegistrationResponse },
  ): Promise<AccountInfo>;
  register(
    input: RegistrationInput & { readonly authenticator: Authenticator },
  ): Promise<AccountInfo>;
  /**
   * Registers this client as another device of an existing account, with the
   * identity handed over by a device of that account and a session token from
   * a passkey login.
   */
  joinAccount(input: {
    readonly relayUrl: string;
    readonly session: SessionResponse;
    readonly identity: IdentityExport;
    readonly deviceName?: string;
    readonly extractableDeviceKey?: boolean;
  }): Promise<AccountInfo>;
  /** A passkey login: a short-lived token for device management. */
  login(authenticator: Authenticator): Promise<SessionResponse>;
  /**
   * "Remove and reset identity", for a stolen device (docs/client.md,
   * "Identity changes"): with a session from a passkey login made just now,
   * a new account identity, a new device list chain naming this device alone
   * (every other device revoked), new prekeys; contacts see an identity
   * change. Stops the connection and starts it again as the new device.
   */
  resetIdentity(input: {
    readonly session: SessionResponse;
    readonly deviceName?: string;
  }): Promise<AccountInfo>;
  /** Identity private keys, for linking another device of this account. */
  exportIdentity(): Promise<IdentityExport>;
  /**
   * This account's devices: those its signed device list names, with the
   * relay's names and dates (oldest first; `current` marks this one).
   */
  listDevices(): Promise<OwnDeviceView[]>;
  /**
   * Unlinks a device of this account: the signed list's next version without
   * it (`signedDeviceList.remove`); a device never listed is removed through
   * the relay (signed by the identity key: needs the unlocked vault).
   */
  removeDevice(deviceId: number): Promise<void>;
  /**
   * Removes every other device of this account: the listed ones through the
   * signed list, and those registered but never listed (a link abandoned
   * midway). Returns the removed device ids. Needs the unlocked vault.
   */
  removeOtherDevices(): Promise<number[]>;
  /** Renames this device (the relay's name for it, shown to the account's own devices only). */
  renameDevice(name: string): Promise<void>;
  /**
   * The recovery key wrapped by a passkey's PRF, kept on the relay for a
   * restore without typing it (docs/protocol.md, "Backups"). Identity-signed:
   * needs the unlocked account.
   */
  putRecoveryWrap(credentialId: string, wrapped: Uint8Array): Promise<void>;
  /** One passkey's wrap, or without `credentialId` every wrap of the account. */
  deleteRecoveryWraps(credentialId?: string): Promise<void>;
  maintainPrekeys(): Promise<MaintenanceResult | undefined>;

  // Conversations and messages
  /** Errors: HANDLE_INVALID, HANDLE_NOT_FOUND (details.handle: the canonical handle). */
  lookupHandle(handle: string): Promise<{ user: string; handle: string }>;
  /** Finds the user by handle and opens (or returns) the direct conversation. Errors: as lookupHandle, OWN_HANDLE. */
  startConversation(handle: string): Promise<ConversationView>;
  listConversations(): Promise<ConversationView[]>;
  getConversation(conversationId: string): Promise<ConversationView>;
  /** The composer's unsent text in a conversation ("" when none; conversations/drafts.ts). */
  getDraft(conversationId: string): Promise<string>;
  /** Keeps the draft (blank text drops it). Errors: NOT_FOUND, BODY_INVALID (too long). */
  saveDraft(input: { readonly conversationId: string; readonly text: string }): Promise<void>;
  getMessages(input: {
    readonly conversationId: string;
    readonly before?: string;
    readonly limit: number;
  }): Promise<MessagePageView>;
  /** A text, or files already uploaded (`attachments`) with `text` as their caption. */
  sendText(input: TextInput): Promise<MessageView>;

  // Attachments (docs/client.md "Attachments"): the device-signed half; pages move the bytes
  /**
   * Announces an upload of `size` ciphertext bytes: the id, chunk size and upload token.
   * `transfer`: a linking history blob (docs/relay.md, "Transfer blobs").
   */
  createAttachmentUpload(size: number, purpose?: UploadPurpose): Promise<AttachmentUpload>;
  /** Deletes one of our uploads on the relay (a message with it disappeared or was deleted). */
  deleteAttachment(id: string): Promise<void>;
  /**
   * The same, also while the vault is locked (signed with the device key,
   * which lives outside the vault); one already gone counts as deleted.
   */
  deleteOwnUpload(id: string): Promise<void>;
  /** Uploads started and not yet sent (pending-uploads.ts), to resume after a restart. */
  listPendingUploads(): Promise<PendingUpload[]>;
  savePendingUpload(upload: PendingUpload): Promise<void>;
  deletePendingUpload(id: string): Promise<void>;
  /**
   * Encrypted typing indicator, sent only while online, never stored,
   * throttled (typing.ts). Resolves true when a frame went out.
   */
  sendTyping(input: {
    readonly conversationId: string;
    readonly typing: boolean;
  }): Promise<boolean>;
  /** Marks incoming messages up to `upTo` (a message key; default all) read; queues read receipts. */
  markRead(input: { readonly conversationId: string; readonly upTo?: string }): Promise<number>;
  unreadTotal(): Promise<number>;
  /**
   * Deletes messages "for me": here and on our other devices, not the peer's
   * copies. `keys` are MessageView keys of that conversation; returns how
   * many were deleted (docs/client.md, "Own-device sync").
   */
  deleteMessages(input: {
    readonly conversationId: string;
    readonly keys: readonly string[];
  }): Promise<number>;
  /** Deletes a conversation here and on our other devices (a group is left first). */
  deleteConversation(conversationId: string): Promise<void>;

  // Groups (docs/client.md "Groups")
  createGroup(input: {
    readonly name: string;
    readonly members: readonly string[];
    readonly timer?: number;
  }): Promise<string>;
  getGroup(conversationId: string): Promise<GroupView>;
  addMembers(conversationId: string, users: readonly string[]): Promise<void>;
  removeMember(conversationId: string, userId: string): Promise<void>;
  setRole(conversationId: string, userId: string, role: GroupRole): Promise<void>;
  renameGroup(conversationId: string, name: string): Promise<void>;
  leaveGroup(conversationId: string): Promise<void>;
  acceptGroup(conversationId: string): Promise<void>;

  // Disappearing messages
  setTimer(input: { readonly conversationId: string; readonly timer: number }): Promise<void>;
  /** The earliest running disappearing-message countdown's end (ms), or null. */
  nextExpiry(): Promise<number | null>;
  /**
   * Deletes every message whose disappearing timer ran out at `at` (default
   * now); works while locked. Returns how many messages were deleted.
   */
  expireDue(at?: number): Promise<number>;

  // Presence and settings
  getPresence(userId: string): Promise<PresenceView>;
  getSettings(): Settings;
  updateSettings(change: Partial<Settings>): Promise<Settings>;
  /**
   * For hosts that keep the settings themselves (the extension keeps them
   * readable while locked): these values apply from now on, and the stored
   * settings record is neither read nor written for them.
   */
  useHostSettings(settings: Settings): void;

  // Contacts
  getContact(userId: string): Promise<ContactView>;
  setVerified(userId: string, verified: boolean): Promise<ContactView>;
  /** Accepts a changed identity key: sending is allowed again (the contact is no longer verified). */
  acknowledgeIdentityChange(userId: string): Promise<ContactView>;
  /** Accepts a message request: receipts, typing and presence to them start. */
  acceptRequest(userId: string): Promise<ContactView>;
  blockContact(userId: string): Promise<ContactView>;
  unblockContact(userId: string): Promise<ContactView>;
  /** Makes the relay's block list and this device's agree (also runs on every ready). */
  reconcileBlocks(): Promise<{ pushed: string[]; adopted: string[] }>;

  /**
   * Test seams, never for the UI: send a group state without checking or
   * applying it (forged, replayed, stale), and read the current signed state.
   */
  readonly dangerousTestOnly: {
    readonly sendGroupState: GroupTestSeams['dangerouslySendGroupState'];
    readonly groupState: GroupTestSeams['currentState'];
  };

  // The extension's locked vault (ClientDeps.locked)
  /** Replays a deliver frame the extension kept while locked (already acked to the relay). */
  ingestFrame(bytes: Uint8Array): Promise<void>;
  /** After unlock (and after draining the locked inbox): load the account, send the outbox. */
  onUnlocked(): Promise<void>;
  /**
   * After unlock and the locked inbox's drain: frames the full inbox left
   * un-acked are still on the relay, which sends them again on a new socket.
   */
  redeliverSkipped(): void;
  /** On lock: drop decrypted caches; the socket stays up and routes deliveries to `locked.put`. */
  onLocked(): void;
}
