/**
 * What the worker hands the client core's runtime (client-runtime.ts): the
 * storage, the locked inbox, the lock state and settings, and the browser
 * surfaces it reports to (events, badge, notifications, alarms). The shell
 * owns the vault, settings, status and locking; the client core owns
 * everything that talks to the relay or touches sessions.
 *
 * Runs in: the service worker and Node (tests, with fakes).
 */
import type { ClientStorage } from '../../../shared/client/store/store.ts';
import type { Random } from '../../../shared/crypto/random.ts';
import type { ParleyEvent, RelayStatus, Settings } from '../../lib/protocol.ts';
import type { LockedInbox } from './locked-inbox.ts';

export interface IncomingNotice {
  readonly conversationId: string;
  readonly senderHandle: string;
  /** Group messages: the group's name. */
  readonly groupName?: string;
  /** Shown only if the user opted in to message text in notifications; empty for disappearing messages. */
  readonly text: string;
}

/** What the worker gives the client's runtime. */
export interface RuntimeContext {
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
  /**
   * Another device of the account changed the synced settings (docs/client.md
   * "Own-device sync"): store them and tell open pages. The client core has
   * already adopted them, so they are not handed back to it (no echo).
   */
  readonly adoptSyncedSettings?: (
    synced: Pick<Settings, 'readReceipts' | 'typingIndicators' | 'showPresence'>,
  ) => Promise<void>;
  /** Tell open pages something changed (they re-fetch). */
  readonly emit: (event: ParleyEvent) => void;
  /** Report the relay connection state; the shell forwards it to pages. */
  readonly setRelayStatus: (status: RelayStatus) => void;
  /** A message arrived for a conversation not currently read: system notification (sender only unless opted in). */
  readonly notify: (notice: IncomingNotice) => void;
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
    sweepLocked(now: number, uploadsGone?: (ids: string[]) => void): Promise<number>;
  };
  /** Unread total changed: toolbar badge. */
  readonly setUnread: (total: number) => void;
  readonly now: () => number;
  readonly random: Random;
}
