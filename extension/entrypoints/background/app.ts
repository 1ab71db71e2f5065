/**
 * Composition root of the worker: opens storage and builds the vault, the
 * shell, the client core and its runtime, and the context requests run in.
 * Everything here is rebuilt from IndexedDB each time the worker starts; an
 * open vault's key comes back from session memory (vault-session.ts), so a
 * worker stop does not lock, while a browser exit does.
 *
 * Runs in: the service worker.
 */
import { browser } from 'wxt/browser';
import { loginWithPasskey } from '../../../shared/client/account/account.ts';
import { clientArchiveAccess } from '../../../shared/client/backup/client-archive-access.ts';
import { RelayApi } from '../../../shared/client/relay/relay-api.ts';
import { systemRandom } from '../../../shared/crypto/random.ts';
import { AccountStore, DeviceAddressStore } from './account.ts';
import {
  ALARM_AUTO_LOCK,
  ALARM_BACKUP,
  ALARM_EXPIRY,
  ALARM_WAKE,
  AutoLock,
  scheduleBackupCheck,
  scheduleExpiry,
  scheduleWake,
  startKeepalive,
} from './alarms.ts';
import { BackupService } from './backups.ts';
import { showBadge } from './badge.ts';
import { ChatViews } from './chat-views.ts';
import { ClientRuntime } from './client-runtime.ts';
import { DeviceNotices, watchOwnDevices } from './device-notices.ts';
import type { EventHub } from './events.ts';
import {
  clearAll,
  createIdbStorage,
  createInboxQueue,
  createMetaStore,
  openParleyDb,
} from './idb-store.ts';
import { LinkJobs } from './link-jobs.ts';
import { LockedInbox } from './locked-inbox.ts';
import { LockedNotice } from './locked-notice.ts';
import { clearConversationNotification, showMessageNotification } from './notifications.ts';
import { PasskeyRestore } from './passkey-restore.ts';
import { probeRelay } from './relay-probe.ts';
import type { BackupServices, DeviceServices, RequestContext } from './requests/row.ts';
import type { RuntimeContext } from './runtime-context.ts';
import { ParleyShell } from './service.ts';
import { SettingsStore } from './settings.ts';
import { UserVerification } from './user-verification.ts';
import { Vault, vaultHeadersIn } from './vault.ts';
import { sessionVaultStore } from './vault-session.ts';
import { type ClientPlatform, createWorkerClient } from './worker-client.ts';

export interface BackgroundApp {
  readonly shell: ParleyShell;
  /** What every page request runs with (requests/table.ts). */
  readonly requests: RequestContext;
  onAlarm(name: string): Promise<void>;
  /** runtime.onStartup (the browser started with this profile): alarms again, reconnect. */
  onStartup(): Promise<void>;
  /** True until an account is registered: only then may the onboarding tab open by itself. */
  needsOnboarding(): Promise<boolean>;
}

export type Report = (what: string, error: unknown) => void;

/** The worker's own platform: global WebSocket, bound fetch, timers. */
function workerPlatform(report: Report): ClientPlatform {
  return {
    fetch: (url, init) => fetch(url, init),
    webSocket: WebSocket,
    timers: {
      setTimeout: (callback, ms) => setTimeout(callback, ms),
      clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    },
    online: () => navigator.onLine,
    report,
  };
}

interface RuntimeParts {
  readonly storage: RuntimeContext['storage'] & { readonly records: RuntimeContext['lockedSweep'] };
  readonly lockedInbox: LockedInbox;
  readonly vault: Vault;
  readonly settings: SettingsStore;
  readonly hub: EventHub;
  readonly report: Report;
  readonly now: () => number;
  /** Relay or unread state changed: publish the shell's status. */
  status(): void;
  lockedArrived(): void;
}

/** What the client runtime needs from the worker: storage, the locked inbox, events, alarms, notifications. */
function workerRuntimeContext(parts: RuntimeParts): RuntimeContext {
  const { storage, settings, hub, report, now } = parts;
  return {
    storage,
    lockedInbox: parts.lockedInbox,
    isUnlocked: () => parts.vault.isUnlocked(),
    lockedArrived: parts.lockedArrived,
    settings: () => settings.get(),
    adoptSyncedSettings: async (synced) => {
      hub.broadcast({ type: 'settings', settings: await settings.update(synced) });
    },
    emit: (event) => hub.broadcast(event),
    setRelayStatus: parts.status,
    setUnread: parts.status,
    notify: (notice) => {
      void settings
        .get()
        .then((s) =>
          s.notifications ? showMessageNotification(notice, s.notificationPreview) : undefined,
        )
        .catch((e: unknown) => report('notification', e));
    },
    isViewing: (conversationId) => hub.isViewing(conversationId),
    scheduleWake: async () => {
      await scheduleWake(browser.alarms);
    },
    scheduleExpiry: (at) => scheduleExpiry(browser.alarms, at),
    // The disappearing-message sweep while locked: by coarse buckets, no key needed.
    lockedSweep: storage.records,
    now,
    random: systemRandom,
  };
}

/** The content-free "new messages" notification while locked, when notifications are on. */
function lockedNoticeOf(settings: SettingsStore, now: () => number): LockedNotice {
  return new LockedNotice({
    notifications: browser.notifications,
    session: browser.storage.session,
    now,
    enabled: async () => (await settings.get()).notifications,
    iconUrl: browser.runtime.getURL('/icon/128.png'),
  });
}

/**
 * Linking, user verification and device notices (requests/devices.ts), and
 * the wipe when this browser is removed (docs/extension.md, "Linked devices").
 */
function wireDevices(parts: {
  readonly meta: DeviceNotices;
  readonly client: ReturnType<typeof createWorkerClient>;
  readonly platform: ClientPlatform;
  readonly now: () => number;
  readonly hub: EventHub;
  readonly report: Report;
  readonly runtime: ClientRuntime;
  /** Destroys the vault, clears every store, marks the removal, publishes the status. */
  readonly wipeAll: (at: number) => Promise<void>;
}): DeviceServices {
  const { client, platform, now, hub, report, runtime } = parts;
  const notices = parts.meta;
  const verification = new UserVerification(now);
  const links = new LinkJobs({
    fetch: platform.fetch,
    blobFetch: (url, init) => fetch(url, init),
    timers: platform.timers,
    now,
    random: systemRandom,
    client,
    verification,
    changed: () => hub.broadcast({ type: 'link' }),
  });
  watchOwnDevices(client, {
    notices,
    names: async () => new Map((await client.listDevices()).map((d) => [d.id, d.name])),
    changed: () => hub.broadcast({ type: 'devices' }),
    report,
    wipe: async (at) => {
      // Nothing of the account stays on a removed browser.
      links.cancel();
      await runtime.stopForGood();
      await parts.wipeAll(at);
    },
  });
  return { notices, verification, links };
}

/**
 * A worker restarted by Chrome while the vault was open: open again, and keep
 * the auto-lock deadline the previous worker set; then connect. Returns the
 * reconnect step (also run on runtime.onStartup).
 */
async function startWorker(parts: {
  readonly vault: Vault;
  readonly autoLock: AutoLock;
  readonly settings: SettingsStore;
  readonly account: AccountStore;
  readonly runtime: ClientRuntime;
  readonly report: Report;
}): Promise<() => Promise<void>> {
  const { vault, autoLock, settings, account, runtime, report } = parts;
  const restored = await vault.restore().catch((e: unknown) => {
    report('restore', e);
    return false;
  });
  if (restored && !(await autoLock.resume((await settings.get()).autoLockMinutes))) vault.lock();
  // Alarms again on every worker start: Chrome may drop them across restarts.
  const reconnect = async (): Promise<void> => {
    if (!(await account.get())?.registered) return;
    await Promise.all([scheduleWake(browser.alarms), scheduleBackupCheck(browser.alarms)]);
    await runtime.resume().catch((e: unknown) => report('resume', e));
  };
  await reconnect();
  return reconnect;
}

/** Backups and restore (requests/backups.ts, docs/extension.md "Backups"). */
function wireBackups(parts: {
  readonly records: RuntimeContext['storage']['records'];
  readonly client: ReturnType<typeof createWorkerClient>;
  readonly platform: ClientPlatform;
  readonly now: () => number;
  readonly hub: EventHub;
}): BackupServices {
  const { client, platform, now } = parts;
  // Snapshot chunks go as Blob bodies: the worker's own fetch, as for attachment blobs.
  const backupFetch = (url: string, init?: RequestInit) => fetch(url, init);
  const backups = new BackupService({
    records: parts.records,
    account: () => client.account(),
    archive: async () =>
      clientArchiveAccess(client.archive, (await client.exportIdentity()).sigPublic),
    fetch: backupFetch,
    now,
    random: systemRandom,
    changed: () => parts.hub.broadcast({ type: 'backup' }),
  });
  const relayApi = (relayUrl: string) =>
    new RelayApi({ baseUrl: relayUrl, fetch: platform.fetch, now, timers: platform.timers });
  const passkey = new PasskeyRestore({
    records: parts.records,
    userId: () => client.account()?.userId,
    recoveryKey: () => backups.recoveryKey(),
    putWrap: (credentialId, wrapped) => client.putRecoveryWrap(credentialId, wrapped),
    deleteWraps: (credentialId) => client.deleteRecoveryWraps(credentialId),
    random: systemRandom,
    now,
    changed: () => parts.hub.broadcast({ type: 'backup' }),
  });
  return {
    backups,
    login: (relayUrl, handle) => (authenticator) =>
      loginWithPasskey(relayApi(relayUrl), handle, authenticator),
    restoreDeps: { fetch: backupFetch, now },
    passkey,
    relayApi,
  };
}

/** The backup alarm: a snapshot if one is due; needs the open vault (the key is a vault record). */
async function dailyBackup(vault: Vault, backups: BackupServices | undefined): Promise<void> {
  if (vault.isUnlocked()) await backups?.backups.runIfDue();
}

export async function createBackgroundApp(hub: EventHub, report: Report): Promise<BackgroundApp> {
  const db = await openParleyDb();
  const meta = createMetaStore(db);
  const now = () => Date.now();
  const vault = new Vault({
    headers: vaultHeadersIn(meta),
    random: systemRandom,
    now,
    session: sessionVaultStore(browser.storage.session),
  });
  const storage = createIdbStorage({
    db,
    vaultKey: () => vault.key(),
    random: systemRandom,
  });
  const lockedInbox = new LockedInbox({
    queue: createInboxQueue(db),
    meta,
    records: storage.records,
  });
  const settings = new SettingsStore(meta);
  const account = new AccountStore(meta);
  const notices = new DeviceNotices(meta);
  const autoLock = new AutoLock(browser.alarms, now);
  const lockedNotice = lockedNoticeOf(settings, now);

  // The runtime reports relay and unread changes; the shell turns them into
  // status events and badge updates. `shell` exists before the client can call.
  let shell: ParleyShell | undefined;
  // A history download a stopped worker left unfinished (link-jobs.ts); set once devices are wired.
  let resumeHistory: () => Promise<void> = async () => {};
  const runtimeContext = workerRuntimeContext({
    storage,
    lockedInbox,
    vault,
    settings,
    hub,
    report,
    now,
    status: () => void shell?.publishStatus(),
    lockedArrived: () => {
      void shell?.publishStatus();
      void lockedNotice.arrived().catch((e: unknown) => report('locked notice', e));
    },
  });
  const platform = workerPlatform(report);
  const client = createWorkerClient(runtimeContext, platform);
  const views = new ChatViews(client);
  const runtime = new ClientRuntime({
    ctx: runtimeContext,
    platform,
    addresses: new DeviceAddressStore(meta),
    client,
    views,
  });

  shell = new ParleyShell({
    vault,
    account,
    settings,
    runtime,
    lockedInbox,
    autoLock,
    keepAlive: () => startKeepalive(() => browser.runtime.getPlatformInfo()),
    probeRelay: (relayUrl) =>
      probeRelay(relayUrl, {
        fetch: (input, init) => fetch(input, init),
        hasPermission: (origin) => browser.permissions.contains({ origins: [`${origin}/*`] }),
        now: () => performance.now(),
      }),
    wipeStorage: () => clearAll(db),
    emit: (event) => hub.broadcast(event),
    onStatus: (status) => {
      // Locked: the sealed frames waiting in the locked inbox (count only).
      void showBadge(status.vault, status.unread, status.lockedWaiting ?? 0).catch((e: unknown) =>
        report('badge', e),
      );
    },
    afterUnlock: async () => {
      await lockedNotice.clear();
      void resumeHistory();
    },
    rpId: browser.runtime.id,
    report,
    removedAt: () => notices.removedAt(),
  });
  const devices = wireDevices({
    meta: notices,
    client,
    platform,
    now,
    hub,
    report,
    runtime,
    wipeAll: async (at) => {
      await vault.destroy();
      await clearAll(db);
      await notices.markRemoved(at);
      await shell?.publishStatus();
    },
  });

  const reconnect = await startWorker({ vault, autoLock, settings, account, runtime, report });
  resumeHistory = () =>
    devices.links.resumeHistory().catch((e: unknown) => report('resume history', e));
  if (vault.isUnlocked()) void resumeHistory();
  // The browser's own network signal: try at once when it comes back.
  globalThis.addEventListener?.('online', () => {
    void runtime.resume().catch((e: unknown) => report('resume', e));
  });
  await shell.publishStatus();

  const ready = shell;
  const requests: RequestContext = {
    client,
    views,
    runtime,
    shell: ready,
    devices,
    backups: wireBackups({ records: storage.records, client, platform, now, hub }),
    clearNotification: (conversationId) => {
      void clearConversationNotification(conversationId).catch((e: unknown) =>
        report('notification', e),
      );
    },
  };
  return {
    shell: ready,
    requests,
    onStartup: reconnect,
    async needsOnboarding() {
      return (await account.get())?.registered !== true;
    },
    async onAlarm(name) {
      if (name === ALARM_AUTO_LOCK) await ready.autoLockExpired();
      else if (name === ALARM_WAKE) await runtime.resume();
      else if (name === ALARM_EXPIRY) {
        // A worker woken by this alarm starts the core (resume) first, which
        // sweeps what is due by itself; the sweep here covers a running worker.
        await runtime.resume();
        await runtime.expireDue();
      } else if (name === ALARM_BACKUP) await dailyBackup(vault, requests.backups);
    },
  };
}
