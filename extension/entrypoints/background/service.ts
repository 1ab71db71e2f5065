/**
 * `ParleyShell`: the worker's session state around the client core: the
 * vault and what follows its opening and locking (keepalive, auto-lock, the
 * client's unlock and lock), the status pages and the toolbar show, and
 * which conversation the side panel should open. Requests (requests/) read
 * and change it; the shell itself answers none.
 *
 * State lives in storage (IndexedDB) and in the vault key; everything else
 * here is rebuilt from those when the worker starts.
 *
 * Runs in: the service worker and Node (tests, with fakes for the browser parts).
 */
import type {
  AppStatus,
  ParleyEvent,
  RelayCheck,
  RelayStatus,
  VaultState,
} from '../../lib/protocol.ts';
import { type AccountStore, onboardingState } from './account.ts';
import type { AutoLock } from './alarms.ts';
import type { LockedInbox } from './locked-inbox.ts';
import type { SettingsStore } from './settings.ts';
import type { Vault } from './vault.ts';

/** What the shell needs of the client's life in the worker (client-runtime.ts). */
export interface ShellRuntime {
  /** After every unlock: drain the locked inbox in order, flush the outbox. */
  onUnlocked(): Promise<void>;
  /** On lock: drop decrypted caches; the relay socket stays up. */
  onLocked(): void;
  relayStatus(): RelayStatus;
  unreadTotal(): Promise<number>;
}

export interface ShellDeps {
  readonly vault: Vault;
  readonly account: AccountStore;
  readonly settings: SettingsStore;
  readonly runtime: ShellRuntime;
  readonly lockedInbox: LockedInbox;
  readonly autoLock: AutoLock;
  /** Keeps the worker alive while the vault is open; returns the stop function. */
  readonly keepAlive: () => () => void;
  readonly probeRelay: (relayUrl: string) => Promise<RelayCheck>;
  /** Deletes every stored record, key and meta value. */
  readonly wipeStorage: () => Promise<void>;
  readonly emit: (event: ParleyEvent) => void;
  /** Called with every status published (badge, title). */
  readonly onStatus: (status: AppStatus) => void;
  /** After an unlock has replayed the locked inbox (the waiting messages are readable now). */
  readonly afterUnlock?: () => Promise<void>;
  /** The WebAuthn RP ID pages must use: this extension's id. */
  readonly rpId: string;
  /** Logs failures of background work; never given secrets. */
  readonly report: (what: string, error: unknown) => void;
  /** When this browser was removed from its account (device-notices.ts); undefined if not. */
  readonly removedAt?: () => Promise<number | undefined>;
}

export class ParleyShell {
  readonly deps: ShellDeps;
  #stopKeepAlive: (() => void) | undefined;
  #focus: string | null = null;

  constructor(deps: ShellDeps) {
    this.deps = deps;
    deps.vault.onChange((state) => this.#onVaultChange(state));
  }

  #onVaultChange(state: VaultState): void {
    const { autoLock, runtime, report } = this.deps;
    if (state === 'unlocked') {
      this.#stopKeepAlive ??= this.deps.keepAlive();
      void runtime
        .onUnlocked()
        .then(() => this.deps.afterUnlock?.())
        .then(() => this.publishStatus())
        .catch((e: unknown) => report('core unlock', e));
    } else {
      this.#stopKeepAlive?.();
      this.#stopKeepAlive = undefined;
      runtime.onLocked();
      void autoLock.disarm().catch((e: unknown) => report('auto-lock', e));
    }
    void this.publishStatus();
  }

  isUnlocked(): boolean {
    return this.deps.vault.isUnlocked();
  }

  /** The vault just opened: the inbox key exists, the auto-lock counts from now. */
  async opened(): Promise<AppStatus> {
    await this.deps.lockedInbox.ensureKeys();
    const settings = await this.deps.settings.get();
    await this.deps.autoLock.arm(settings.autoLockMinutes);
    void this.publishStatus();
    return this.status();
  }

  /** The person is active in a page: postpone the auto-lock. */
  async touch(): Promise<void> {
    if (this.isUnlocked()) await this.deps.autoLock.touch();
  }

  async status(): Promise<AppStatus> {
    const { vault, account, runtime, autoLock } = this.deps;
    const vaultState = await vault.state();
    const acct = await account.get();
    let unread = 0;
    if (vaultState === 'unlocked') unread = await runtime.unreadTotal().catch(() => 0);
    const waiting =
      vaultState === 'locked' ? await this.deps.lockedInbox.count().catch(() => 0) : undefined;
    const removedAt = await this.deps.removedAt?.();
    return {
      ...(waiting === undefined ? {} : { lockedWaiting: waiting }),
      ...(removedAt === undefined ? {} : { removedAt }),
      vault: vaultState,
      onboarding: onboardingState(vaultState, acct),
      account: acct === null ? null : { handle: acct.handle, relayUrl: acct.relayUrl },
      relay: runtime.relayStatus(),
      unread,
      unlockMethods: await vault.methods(),
      autoLockAt: vaultState === 'unlocked' ? autoLock.deadline() : null,
    };
  }

  /** Pushes the current status to pages and the toolbar. Never throws. */
  async publishStatus(): Promise<void> {
    try {
      const status = await this.status();
      this.deps.emit({ type: 'status', status });
      this.deps.onStatus(status);
    } catch (e) {
      this.deps.report('status', e);
    }
  }

  /** The auto-lock alarm fired. */
  async autoLockExpired(): Promise<void> {
    if (this.deps.autoLock.isDue()) this.deps.vault.lock();
  }

  /** A page asked the side panel to open this conversation. */
  setFocus(conversationId: string): void {
    this.#focus = conversationId;
    this.deps.emit({ type: 'focus', conversationId });
  }

  /** The side panel takes the focus request once. */
  takeFocus(): string | null {
    const conversationId = this.#focus;
    this.#focus = null;
    return conversationId;
  }
}
