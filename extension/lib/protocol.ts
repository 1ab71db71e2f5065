/**
 * The data that crosses between the extension's pages and its background
 * service worker. Everything here is plain, structured-clone- and
 * JSON-serialisable data (bytes travel as base64url strings) and none of it is
 * key material: safety numbers and their QR payload are public by design.
 *
 * Runs in: pages and the service worker (no DOM, no extension APIs).
 */

import type { MessageState } from '../../shared/client/conversations/conversations.ts';
import type { GroupRole } from '../../shared/client/groups/state.ts';
import type { PresenceView } from '../../shared/client/transient/presence.ts';
import type { AttachmentView } from '../../shared/client/views.ts';
import {
  GROUP_MAX_MEMBERS,
  GROUP_NAME_MAX_CHARS,
  MESSAGE_TEXT_MAX_CHARS,
  TIMER_OPTIONS_MS,
} from '../../shared/wire/limits.ts';

/** Where the local vault stands. `none`: nothing set up on this browser yet. */
export type VaultState = 'none' | 'locked' | 'unlocked';

/**
 * `new`: nothing stored; `vault-ready`: the vault exists but no account was
 * registered yet (onboarding was interrupted); `complete`: account registered.
 */
export type OnboardingState = 'new' | 'vault-ready' | 'complete';

export type UnlockMethod = 'prf' | 'passphrase';

/** Why the relay connection is down, in terms a person can act on. */
export type RelayProblem =
  | 'unreachable' // network error, DNS, refused, timeout
  | 'rejected' // the relay refused this device (revoked, unknown account)
  | 'incompatible' // protocol version mismatch or malformed frames
  | 'rate-limited';

export type RelayStatus =
  | { readonly state: 'idle' } // no account, nothing to connect to
  | { readonly state: 'connecting'; readonly attempt: number }
  | { readonly state: 'online'; readonly since: number }
  | {
      readonly state: 'retrying';
      readonly attempt: number;
      /** Epoch ms of the next attempt, so pages can count down. */
      readonly nextRetryAt: number;
      readonly problem: RelayProblem;
    }
  | { readonly state: 'offline' } // the browser reports no network
  /** This device connected to the relay from somewhere else (a copied profile): not retried. */
  | { readonly state: 'stopped' };

export interface AccountSummary {
  readonly handle: string;
  readonly relayUrl: string;
}

export interface AppStatus {
  readonly vault: VaultState;
  readonly onboarding: OnboardingState;
  /** Known even while locked, so the lock screen can say whose vault it is. */
  readonly account: AccountSummary | null;
  readonly relay: RelayStatus;
  /** Total unread messages across conversations (0 while locked). */
  readonly unread: number;
  /**
   * Locked: sealed frames waiting to be read after unlock (messages and
   * receipts alike: nothing more is known before unlock). Absent otherwise.
   */
  readonly lockedWaiting?: number;
  readonly unlockMethods: readonly UnlockMethod[];
  /** Epoch ms at which the vault locks itself unless there is activity; null when locked or never. */
  readonly autoLockAt: number | null;
  /** When this browser learnt it was removed from its account (its data is gone); absent otherwise. */
  readonly removedAt?: number;
}

export interface Settings {
  /** Lock the vault after this many minutes without activity in Parley's pages. */
  readonly autoLockMinutes: number;
  /** System notifications for new messages (while locked: one content-free notice). */
  readonly notifications: boolean;
  /** Show message text in system notifications (off: sender only). */
  readonly notificationPreview: boolean;
  /** Send read receipts to contacts. */
  readonly readReceipts: boolean;
  /** Send typing indicators (and show others'). */
  readonly typingIndicators: boolean;
  /** Let accepted contacts see when this browser is online / last seen. */
  readonly showPresence: boolean;
}

export const AUTO_LOCK_CHOICES = [1, 5, 15, 30, 60, 240, 480, 1440] as const;

/**
 * Lock policy (docs/extension.md): the vault always locks when the browser
 * exits, and after this long without activity in Parley's pages: a working
 * day by default, so a messenger left open stays reachable (a locked Parley
 * still counts waiting messages and says so, without content).
 */
export const DEFAULT_AUTO_LOCK_MINUTES = 480;

export const DEFAULT_SETTINGS: Settings = {
  autoLockMinutes: DEFAULT_AUTO_LOCK_MINUTES,
  notifications: true,
  notificationPreview: false,
  readReceipts: true,
  typingIndicators: true,
  showPresence: true,
};

export const DEFAULT_RELAY_URL = 'http://127.0.0.1:8787';

/**
 * Outgoing: sending → stored (relay acked) → delivered → read; a message a
 * recipient could not decrypt goes failed → resent (sent again, relay acked)
 * → delivered. Incoming: received/read. The client core's own states.
 */
export type { MessageState };

export interface MessagePreview {
  readonly text: string;
  readonly at: number;
  readonly outgoing: boolean;
  readonly state: MessageState;
  /** `system`: a timeline notice (timer changed, member added...). */
  readonly kind?: 'text' | 'system';
  /** Groups: who wrote an incoming message. */
  readonly senderHandle?: string;
}

export type ConversationKind = 'direct' | 'group';

export type { GroupRole };

/** Disappearing-message timers a conversation may have, in ms (0 = off): the protocol's list. */
export const TIMER_CHOICES_MS = TIMER_OPTIONS_MS;
export type TimerChoice = (typeof TIMER_CHOICES_MS)[number];

/** What a contact's presence messages say (the client core's view); null/false when hidden or never sent. */
export type { PresenceView };
/** A group has at most GROUP_MAX_MEMBERS members, us included; names at most GROUP_NAME_MAX_CHARS. */
export { GROUP_MAX_MEMBERS, GROUP_NAME_MAX_CHARS };

/** A presence "online" older than this is shown as "last seen" (shared/client/transient/presence.ts). */
export const ONLINE_WINDOW_MS = 150_000;

export interface ConversationSummary {
  readonly id: string;
  readonly kind: ConversationKind;
  /** Contact handle for direct chats, group name for groups. */
  readonly title: string;
  readonly unread: number;
  readonly lastMessage: MessagePreview | null;
  readonly updatedAt: number;
  /** Direct chats: the contact's safety number was marked verified. */
  readonly verified: boolean;
  /** Direct chats: the contact's identity key changed and sending is blocked until acknowledged. */
  readonly identityChanged: boolean;
  /** Direct chats: the other person's user id (not secret; for accept/block). */
  readonly peerId?: string;
  /**
   * A message request: a first message from someone unknown, or a group we
   * were added to by someone who is not an accepted contact. Nothing (receipts,
   * typing, presence) goes to them before it is accepted.
   */
  readonly isRequest?: boolean;
  /** Direct chats: the contact is blocked. */
  readonly blocked?: boolean;
  /** Disappearing-message timer in ms (0 or absent: off). */
  readonly timerMs?: number;
  /** Groups: our role (null after leaving or being removed) and how many members it has. */
  /** `memberCount`: joined members; invitees are not counted. */
  readonly group?: { readonly myRole: GroupRole | null; readonly memberCount: number };
  /** Handles of the people typing in this conversation right now. */
  readonly typing?: readonly string[];
  /** Direct chats with an accepted contact: their presence. */
  readonly presence?: PresenceView;
  /** The composer's unsent text, one line (the list shows "Draft: …"); absent when none. */
  readonly draft?: string;
}

export interface MessageView {
  readonly id: string;
  readonly conversationId: string;
  readonly outgoing: boolean;
  readonly senderHandle: string;
  /** `system`: timeline events (safety number changed, timer set, member added). */
  readonly kind: 'text' | 'system';
  readonly text: string;
  readonly sentAt: number;
  readonly state: MessageState;
  /** System notices: what happened (`timer-changed`, `member-removed`, ...; docs/client.md). */
  readonly system?: string;
  /** Disappearing messages: the timer the message carries (ms). */
  readonly expiresIn?: number;
  /** Disappearing messages: when it disappears (its countdown runs: sent here, or read). */
  readonly expiresAt?: number;
  /** Our group messages: members that confirmed delivery / reading, out of `total`. */
  readonly receipts?: { readonly delivered: number; readonly read: number; readonly total: number };
  /** Files with this message; `text` is then their caption (may be empty). */
  readonly attachments?: readonly AttachmentView[];
}

export type { AttachmentView };

export interface MessagePage {
  /** Oldest first. */
  readonly messages: readonly MessageView[];
  /** Pass as `before` to load older messages; null when the start of history is reached. */
  readonly before: string | null;
}

export interface SafetyNumberView {
  /** 12 groups of 5 digits, identical on both sides of the conversation. */
  readonly groups: readonly string[];
  /** base64url of the scannable fingerprint (public data) for the QR code. */
  readonly qrPayload: string;
}

export interface ContactView {
  readonly userId: string;
  readonly handle: string;
  readonly conversationId: string;
  readonly safetyNumber: SafetyNumberView;
  readonly verified: boolean;
  /** Set while a changed identity key waits for the user's acknowledgement. */
  readonly identityChange: { readonly changedAt: number } | null;
  /** `request`: they wrote first and were not accepted yet. */
  readonly status: 'accepted' | 'request' | 'blocked';
  /** Their presence (accepted contacts only; otherwise null). */
  readonly presence: PresenceView | null;
}

export interface GroupMemberView {
  readonly userId: string;
  readonly handle: string;
  readonly role: GroupRole;
  readonly isSelf: boolean;
  /** We may remove this member (permission table, docs/protocol.md). */
  readonly canRemove: boolean;
  /** Added but not heard from yet (docs/protocol.md "Joined and invited members"). */
  readonly invited: boolean;
}

/** A group as its page shows it; `can` says which controls to offer (the worker checks again). */
export interface GroupView {
  readonly conversationId: string;
  readonly name: string;
  readonly timerMs: number;
  /** Owner first, then admins, then members, each by handle. */
  readonly members: readonly GroupMemberView[];
  /** Null after leaving or being removed. */
  readonly myRole: GroupRole | null;
  /** Not a request (we created it, a contact added us, or we accepted it). */
  readonly accepted: boolean;
  /** Handle and user id of whoever added us (a group request can block them). */
  readonly addedBy: string;
  readonly addedById: string;
  readonly can: {
    readonly rename: boolean;
    readonly setTimer: boolean;
    readonly addMembers: boolean;
    readonly changeRoles: boolean;
    readonly leave: boolean;
  };
}

/** WebAuthn creation options as JSON (base64url fields), straight from the relay. */
export type CreationOptionsJson = Readonly<Record<string, unknown>>;

export interface RegistrationStart {
  readonly publicKey: CreationOptionsJson;
}

/** A WebAuthn registration response as JSON, without any PRF output. */
export interface RegistrationCredentialJson {
  readonly id: string;
  readonly rawId: string;
  readonly type: 'public-key';
  readonly authenticatorAttachment?: string;
  readonly response: {
    readonly clientDataJSON: string;
    readonly attestationObject: string;
    readonly transports?: readonly string[];
    readonly publicKey?: string;
    readonly publicKeyAlgorithm?: number;
    readonly authenticatorData?: string;
  };
  readonly clientExtensionResults: {
    readonly prf?: { readonly enabled?: boolean };
    readonly credProps?: { readonly rk?: boolean };
  };
}

/** How the page proves the right to create the vault. */
export type VaultCreateSecret =
  | {
      readonly method: 'prf';
      readonly credentialId: string;
      /** The PRF input the page used (public, 32 bytes, base64url). */
      readonly prfSalt: string;
      /** The PRF output (32 bytes, base64url). Travels page → worker only. */
      readonly prfOutput: string;
    }
  | { readonly method: 'passphrase'; readonly passphrase: string };

export type VaultUnlockSecret =
  | { readonly method: 'prf'; readonly credentialId: string; readonly prfOutput: string }
  | { readonly method: 'passphrase'; readonly passphrase: string };

export interface UnlockOptions {
  readonly methods: readonly UnlockMethod[];
  /** For a PRF vault: what the page passes to navigator.credentials.get. */
  readonly prf: {
    readonly rpId: string;
    readonly credentialIds: readonly string[];
    readonly salt: string;
  } | null;
}

export interface RelayCheck {
  readonly relayUrl: string;
  readonly latencyMs: number;
}

export const PASSPHRASE_MIN_CHARS = 10;
export const PASSPHRASE_MAX_CHARS = 1024;
/** The client core's own text limit (shared/wire/limits.ts): the composer and the RPC schema use the same one. */
export const MESSAGE_MAX_CHARS = MESSAGE_TEXT_MAX_CHARS;
export const PAGE_MAX_MESSAGES = 100;
/** Members one request may add (a new group, or an add to an existing one). */
export const MEMBERS_MAX_PER_REQUEST = GROUP_MAX_MEMBERS - 1;

/**
 * Pushed from the worker to open pages over the events port. Most events say
 * only *what* changed; pages re-fetch what they show, so a missed event is
 * repaired by the next one or by the re-sync after a reconnect.
 */
export type ParleyEvent =
  | { readonly type: 'status'; readonly status: AppStatus }
  | { readonly type: 'conversations' }
  | { readonly type: 'messages'; readonly conversationId: string }
  | { readonly type: 'contact'; readonly userId: string }
  | { readonly type: 'settings'; readonly settings: Settings }
  | { readonly type: 'focus'; readonly conversationId: string }
  /** A group's members, roles, name or timer changed: re-fetch its page. */
  | { readonly type: 'group'; readonly conversationId: string }
  /** Who is typing in a conversation now (handles; empty: nobody). Never stored. */
  | {
      readonly type: 'typing';
      readonly conversationId: string;
      readonly handles: readonly string[];
    }
  /** Disappearing messages ran out and were deleted: drop them from the view. */
  | { readonly type: 'expired'; readonly conversationId: string; readonly ids: readonly string[] }
  /** A link's state changed (linkStatus), or the account's devices or notices changed. */
  | { readonly type: 'link' }
  | { readonly type: 'devices' }
  /** Backups were turned on or off, or a snapshot started, ended or failed: re-read backupStatus. */
  | { readonly type: 'backup' };

/** A link in progress, as pages see it (docs/extension.md, "Linked devices"). No secrets. */
export interface LinkState {
  /** `new`: this browser joins an account; `existing`: this browser approves another. */
  readonly role: 'none' | 'new' | 'existing';
  readonly phase:
    | 'idle'
    | 'starting'
    | 'waiting'
    | 'check'
    | 'confirm'
    | 'sending'
    | 'registering'
    | 'history'
    | 'done'
    | 'failed';
  /** New side: the code to show, `LLLL-SSSS-SSSS`, and when it dies. */
  readonly code?: string;
  readonly expiresAt?: number;
  /** New side: wrong codes typed on the other browser so far (three kill the code). */
  readonly strikes: number;
  /** Existing side: the name the new device gave itself (confirm, done). */
  readonly deviceName?: string;
  readonly deviceId?: number;
  /** Path B, existing side: the 6-digit check code to type into the new device. */
  readonly checkCode?: string;
  /**
   * Path B, new side: the link string to show (and encode as a QR code); in
   * phase `check` the person types the check code the other browser shows.
   */
  readonly linkString?: string;
  /** Path B, new side: wrong check codes typed here so far (three end the link). */
  readonly checkMisses?: number;
  /**
   * New side, phase `history`: how much of the history archive is in, 0–100
   * (undefined until its size is known).
   */
  readonly historyPercent?: number;
  /** Done, new side: the account's handle. */
  readonly handle?: string;
  /**
   * Done, new side: the browser is linked but the message history did not
   * come (docs/extension.md, "Linked devices"): `expired`, the relay keeps
   * it one hour and that passed before this browser could finish;
   * `interrupted`, the other browser stopped before sending it; `failed`, it
   * could not be exported, downloaded or verified.
   */
  readonly historyMissing?: 'expired' | 'interrupted' | 'failed';
  /** Failed: the error code and, for LINK_FAILED, its reason (strikes, expired, declined, …). */
  readonly failure?: { readonly code: string; readonly reason?: string };
}

/** Settings → Backups (docs/extension.md, "Backups"). No secret: the key has its own requests. */
export interface BackupStatus {
  readonly on: boolean;
  /** A snapshot is being made now. */
  readonly running: boolean;
  /** The last snapshot stored on the relay: its sequence number and when it was made. */
  readonly lastSeq?: number;
  readonly lastAt?: number;
  /** The stable error code of the last attempt, when it failed. */
  readonly lastError?: string;
}

/** A snapshot a restore can choose (the relay's seq and storage date). */
export interface RestoreSnapshot {
  readonly seq: number;
  readonly storedAt: number;
}

/**
 * Whether another device of the account is still alive, asked before a restore
 * imports anything (docs/extension.md, "Backups"): the most recently connected
 * device seen within the last 14 days, or null when none was.
 */
export interface RestoreActivity {
  readonly recent: { readonly lastSeenAt: number; readonly name: string | null } | null;
}

/** What a restore brought back (onboarding → "Restore from a backup"). */
export interface RestoreResult {
  readonly handle: string;
  readonly seq: number;
  readonly createdAt: number;
}

/** One device of this account (Settings → Linked devices). */
export interface DeviceView {
  readonly id: number;
  readonly name: string | null;
  readonly addedAt: number;
  /** When it last connected to the relay (null: not known). */
  readonly lastSeenAt: number | null;
  readonly current: boolean;
}

/** "A new device was linked": shown in every Parley view until dismissed. */
export interface DeviceNotice {
  readonly deviceId: number;
  readonly name: string | null;
  readonly at: number;
}

/** What a page says on the events port: the conversation it shows (null: none, or hidden). */
export interface PageSignal {
  readonly type: 'viewing';
  readonly conversationId: string | null;
}

/** Port name pages use to subscribe to `ParleyEvent`s. */
export const EVENTS_PORT = 'parley/events';

/** The extension's own pages: the only senders the worker accepts. */
export const PAGE_PATHS = ['/popup.html', '/sidepanel.html', '/onboarding.html'] as const;
export type PagePath = (typeof PAGE_PATHS)[number];
