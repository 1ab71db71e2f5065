/**
 * `ParleyService`: one method per request in the protocol map, called by
 * rpc.ts only after the sender and the payload were checked. `ParleyShell`
 * implements it: the vault, onboarding bookkeeping, settings, status and
 * auto-lock here; conversations, messages and contacts through `ChatCore`
 * (core.ts), which the client core provides.
 *
 * State lives in storage (IndexedDB) and in the vault key; everything else
 * here is rebuilt from those when the worker starts.
 *
 * Runs in: the service worker and Node (tests, with fakes for the browser parts).
 */
import { fromBase64Url } from '../../../shared/bytes.ts';
import { ExtErrorCode, extError } from '../../lib/errors.ts';
import type { RequestOf, RequestType, ResponseOf } from '../../lib/messaging.ts';
import type {
  AppStatus,
  ParleyEvent,
  RelayCheck,
  Settings,
  VaultState,
} from '../../lib/protocol.ts';
import { type AccountStore, onboardingState } from './account.ts';
import type { AutoLock } from './alarms.ts';
import type { ChatCore } from './core.ts';
import type { LockedInbox } from './locked-inbox.ts';
import type { SettingsStore } from './settings.ts';
import type { Vault } from './vault.ts';

/** Exactly the protocol map, as async methods. */
export type ParleyService = {
  readonly [K in RequestType]: (data: RequestOf<K>) => Promise<ResponseOf<K>>;
};

export interface ShellDeps {
  readonly vault: Vault;
  readonly account: AccountStore;
  readonly settings: SettingsStore;
  readonly core: ChatCore;
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
}

export class ParleyShell implements ParleyService {
  readonly #d: ShellDeps;
  #stopKeepAlive: (() => void) | undefined;
  #focus: string | null = null;

  constructor(deps: ShellDeps) {
    this.#d = deps;
    deps.vault.onChange((state) => this.#onVaultChange(state));
  }

  #onVaultChange(state: VaultState): void {
    const { autoLock, core, report } = this.#d;
    if (state === 'unlocked') {
      this.#stopKeepAlive ??= this.#d.keepAlive();
      void core
        .onUnlocked()
        .then(() => this.#d.afterUnlock?.())
        .then(() => this.publishStatus())
        .catch((e: unknown) => report('core unlock', e));
    } else {
      this.#stopKeepAlive?.();
      this.#stopKeepAlive = undefined;
      core.onLocked();
      void autoLock.disarm().catch((e: unknown) => report('auto-lock', e));
    }
    void this.publishStatus();
  }

  async #armAutoLock(): Promise<void> {
    const settings = await this.#d.settings.get();
    await this.#d.autoLock.arm(settings.autoLockMinutes);
  }

  #requireUnlocked(): void {
    if (!this.#d.vault.isUnlocked()) throw extError(ExtErrorCode.VAULT_LOCKED, 'Parley is locked');
  }

  async status(): Promise<AppStatus> {
    const { vault, account, core, autoLock } = this.#d;
    const vaultState = await vault.state();
    const acct = await account.get();
    let unread = 0;
    if (vaultState === 'unlocked') unread = await core.unreadTotal().catch(() => 0);
    const waiting =
      vaultState === 'locked' ? await this.#d.lockedInbox.count().catch(() => 0) : undefined;
    return {
      ...(waiting === undefined ? {} : { lockedWaiting: waiting }),
      vault: vaultState,
      onboarding: onboardingState(vaultState, acct),
      account: acct === null ? null : { handle: acct.handle, relayUrl: acct.relayUrl },
      relay: core.relayStatus(),
      unread,
      unlockMethods: await vault.methods(),
      autoLockAt: vaultState === 'unlocked' ? autoLock.deadline() : null,
    };
  }

  /** Pushes the current status to pages and the toolbar. Never throws. */
  async publishStatus(): Promise<void> {
    try {
      const status = await this.status();
      this.#d.emit({ type: 'status', status });
      this.#d.onStatus(status);
    } catch (e) {
      this.#d.report('status', e);
    }
  }

  /** The auto-lock alarm fired. */
  async autoLockExpired(): Promise<void> {
    if (this.#d.autoLock.isDue()) this.#d.vault.lock();
  }

  // ── Protocol ────────────────────────────────────────────────────────────

  getStatus = async (): Promise<AppStatus> => this.status();

  touch = async (): Promise<null> => {
    if (this.#d.vault.isUnlocked()) await this.#d.autoLock.touch();
    return null;
  };

  reconnectNow = async (): Promise<AppStatus> => {
    await this.#d.core.reconnectNow();
    return this.status();
  };

  checkRelay = async ({ relayUrl }: { relayUrl: string }): Promise<RelayCheck> =>
    this.#d.probeRelay(relayUrl);

  beginRegistration = async (input: { relayUrl: string; handle: string }) => {
    const acct = await this.#d.account.get();
    if (acct?.registered)
      throw extError(ExtErrorCode.ONBOARDING_DONE, 'This browser already has a Parley account');
    const start = await this.#d.core.beginRegistration(input);
    await this.#d.account.set({
      handle: input.handle,
      relayUrl: input.relayUrl,
      registered: false,
    });
    return start;
  };

  createVault = async (secret: RequestOf<'createVault'>): Promise<AppStatus> => {
    const { vault, lockedInbox } = this.#d;
    if (secret.method === 'prf') {
      await vault.create({
        method: 'prf',
        credentialId: secret.credentialId,
        prfSalt: fromBase64Url(secret.prfSalt),
        prfOutput: fromBase64Url(secret.prfOutput),
      });
    } else {
      await vault.create({ method: 'passphrase', passphrase: secret.passphrase });
    }
    await lockedInbox.ensureKeys();
    await this.#armAutoLock();
    void this.publishStatus();
    return this.status();
  };

  finishRegistration = async ({
    credential,
  }: RequestOf<'finishRegistration'>): Promise<AppStatus> => {
    this.#requireUnlocked();
    const acct = await this.#d.account.get();
    if (acct === null) throw extError(ExtErrorCode.VAULT_NOT_FOUND, 'Start registration first');
    if (acct.registered)
      throw extError(ExtErrorCode.ONBOARDING_DONE, 'This browser already has a Parley account');
    await this.#d.core.finishRegistration({
      relayUrl: acct.relayUrl,
      handle: acct.handle,
      credential,
    });
    await this.#d.account.set({ ...acct, registered: true });
    await this.#d.core.resume();
    await this.publishStatus();
    return this.status();
  };

  resetOnboarding = async (): Promise<AppStatus> => {
    const acct = await this.#d.account.get();
    if (acct?.registered)
      throw extError(ExtErrorCode.ONBOARDING_DONE, 'This browser already has a Parley account');
    await this.#d.vault.destroy();
    await this.#d.wipeStorage();
    await this.publishStatus();
    return this.status();
  };

  getUnlockOptions = async () => this.#d.vault.unlockOptions(this.#d.rpId);

  unlock = async (secret: RequestOf<'unlock'>): Promise<AppStatus> => {
    const { vault, lockedInbox } = this.#d;
    if (secret.method === 'prf') {
      await vault.unlock({
        method: 'prf',
        credentialId: secret.credentialId,
        prfOutput: fromBase64Url(secret.prfOutput),
      });
    } else {
      await vault.unlock(secret);
    }
    await lockedInbox.ensureKeys();
    await this.#armAutoLock();
    void this.publishStatus();
    return this.status();
  };

  lock = async (): Promise<AppStatus> => {
    this.#d.vault.lock();
    return this.status();
  };

  listConversations = async () => {
    this.#requireUnlocked();
    return this.#d.core.listConversations();
  };

  startConversation = async (input: RequestOf<'startConversation'>) => {
    this.#requireUnlocked();
    return this.#d.core.startConversation(input);
  };

  getMessages = async (input: RequestOf<'getMessages'>) => {
    this.#requireUnlocked();
    return this.#d.core.getMessages(input);
  };

  sendText = async (input: RequestOf<'sendText'>) => {
    this.#requireUnlocked();
    await this.#d.autoLock.touch();
    return this.#d.core.sendText(input);
  };

  markRead = async (input: RequestOf<'markRead'>): Promise<null> => {
    this.#requireUnlocked();
    await this.#d.core.markRead(input);
    return null;
  };

  sendTyping = async (input: RequestOf<'sendTyping'>): Promise<null> => {
    this.#requireUnlocked();
    await this.#d.core.sendTyping(input);
    return null;
  };

  setTimer = async (input: RequestOf<'setTimer'>) => {
    this.#requireUnlocked();
    return this.#d.core.setTimer(input);
  };

  deleteConversation = async (input: RequestOf<'deleteConversation'>): Promise<null> => {
    this.#requireUnlocked();
    await this.#d.core.deleteConversation(input);
    return null;
  };

  acceptRequest = async (input: RequestOf<'acceptRequest'>) => {
    this.#requireUnlocked();
    return this.#d.core.acceptRequest(input);
  };

  blockContact = async (input: RequestOf<'blockContact'>): Promise<null> => {
    this.#requireUnlocked();
    await this.#d.core.blockContact(input);
    return null;
  };

  unblockContact = async (input: RequestOf<'unblockContact'>): Promise<null> => {
    this.#requireUnlocked();
    await this.#d.core.unblockContact(input);
    return null;
  };

  createGroup = async (input: RequestOf<'createGroup'>) => {
    this.#requireUnlocked();
    await this.#d.autoLock.touch();
    return this.#d.core.createGroup(input);
  };

  getGroup = async (input: RequestOf<'getGroup'>) => {
    this.#requireUnlocked();
    return this.#d.core.getGroup(input);
  };

  renameGroup = async (input: RequestOf<'renameGroup'>) => {
    this.#requireUnlocked();
    return this.#d.core.renameGroup(input);
  };

  addGroupMembers = async (input: RequestOf<'addGroupMembers'>) => {
    this.#requireUnlocked();
    return this.#d.core.addGroupMembers(input);
  };

  removeGroupMember = async (input: RequestOf<'removeGroupMember'>) => {
    this.#requireUnlocked();
    return this.#d.core.removeGroupMember(input);
  };

  setGroupRole = async (input: RequestOf<'setGroupRole'>) => {
    this.#requireUnlocked();
    return this.#d.core.setGroupRole(input);
  };

  leaveGroup = async (input: RequestOf<'leaveGroup'>): Promise<null> => {
    this.#requireUnlocked();
    await this.#d.core.leaveGroup(input);
    return null;
  };

  getContact = async (input: RequestOf<'getContact'>) => {
    this.#requireUnlocked();
    return this.#d.core.getContact(input);
  };

  setVerified = async (input: RequestOf<'setVerified'>) => {
    this.#requireUnlocked();
    return this.#d.core.setVerified(input);
  };

  acknowledgeIdentityChange = async (input: RequestOf<'acknowledgeIdentityChange'>) => {
    this.#requireUnlocked();
    return this.#d.core.acknowledgeIdentityChange(input);
  };

  getSettings = async (): Promise<Settings> => this.#d.settings.get();

  updateSettings = async (patch: RequestOf<'updateSettings'>): Promise<Settings> => {
    const next = await this.#d.settings.update(patch);
    this.#d.core.onSettings(next);
    if (patch.autoLockMinutes !== undefined && this.#d.vault.isUnlocked()) {
      await this.#d.autoLock.arm(next.autoLockMinutes);
    }
    this.#d.emit({ type: 'settings', settings: next });
    void this.publishStatus();
    return next;
  };

  setFocus = async ({ conversationId }: RequestOf<'setFocus'>): Promise<null> => {
    this.#focus = conversationId;
    this.#d.emit({ type: 'focus', conversationId });
    return null;
  };

  takeFocus = async (): Promise<{ conversationId: string | null }> => {
    const conversationId = this.#focus;
    this.#focus = null;
    return { conversationId };
  };
}
