/**
 * Test-only: the extension's client runtime and request table in Node, as
 * the worker runs them (client-runtime.ts and requests/ on storage that
 * behaves like the sealed vault, the real LockedInbox, `ws`), plus plain
 * shared/client peers, against a real relay. Shared by the client-runtime test
 * files (coreTestingOnRelay gives each its own relay).
 * `platform` overrides let a test play a relay that answers otherwise (its fetch).
 */
import { afterAll, beforeAll } from 'vitest';
import WebSocket from 'ws';
import { RelayProcess } from '../../edge/testing/relay-process.ts';
import type { ClientDeps } from '../../shared/client/client.ts';
import {
  nodeFetch,
  nodeTimers,
  registerUser,
  softAuthenticator,
  TEST_ORIGIN,
  type TestUser,
  waitFor,
} from '../../shared/client/testing/harness.ts';
import { systemRandom } from '../../shared/crypto/random.ts';
import { DeviceAddressStore } from '../entrypoints/background/account.ts';
import { ChatViews } from '../entrypoints/background/chat-views.ts';
import { ClientRuntime } from '../entrypoints/background/client-runtime.ts';
import { LockedInbox } from '../entrypoints/background/locked-inbox.ts';
import type { RequestContext } from '../entrypoints/background/requests/row.ts';
import {
  dispatch,
  type RequestOf,
  type RequestType,
  type ResponseOf,
} from '../entrypoints/background/requests/table.ts';
import type { IncomingNotice } from '../entrypoints/background/runtime-context.ts';
import type { ParleyShell } from '../entrypoints/background/service.ts';
import {
  type ClientPlatform,
  createWorkerClient,
} from '../entrypoints/background/worker-client.ts';
import {
  DEFAULT_SETTINGS,
  type ParleyEvent,
  type RegistrationCredentialJson,
  type RelayStatus,
  type Settings,
} from '../lib/protocol.ts';
import { lockableStorage, memoryMeta, memoryQueue } from './fakes.ts';

export function coreTesting(
  relayOf: () => RelayProcess,
  onCleanup: (cleanup: () => Promise<void>) => void,
) {
  let handles = 0;
  const handle = (name: string) => `${name}${++handles}`;

  /** One extension profile: storage, meta and inbox survive a "worker restart"; the core does not. */
  function profile(overrides: Partial<ClientPlatform> = {}) {
    const storage = lockableStorage();
    const meta = memoryMeta();
    const queue = memoryQueue();
    const lockedInbox = new LockedInbox({ queue, meta, records: storage.records });
    const events: ParleyEvent[] = [];
    const statuses: RelayStatus[] = [];
    const notices: IncomingNotice[] = [];
    const cleared: string[] = [];
    const unread: number[] = [];
    const reports: string[] = [];
    let viewing: string | null = null;
    let wakes = 0;
    const locked = { arrivals: 0 };
    const expiryAlarms: Array<number | null> = [];
    /** The worker's clock: real time plus an offset tests move forward (disappearing timers). */
    const clock = { offset: 0 };
    let settings: Settings = DEFAULT_SETTINGS;
    let core: ClientRuntime;
    let requests: RequestContext;

    const boot = (): ClientRuntime => {
      const platform: ClientPlatform = {
        fetch: nodeFetch,
        webSocket: WebSocket,
        timers: nodeTimers,
        origin: TEST_ORIGIN,
        report: (what: string) => reports.push(what),
        ...overrides,
      };
      const ctx = {
        storage,
        lockedInbox,
        isUnlocked: () => !storage.locked,
        lockedArrived: () => {
          locked.arrivals++;
        },
        settings: async () => settings,
        emit: (e: ParleyEvent) => events.push(e),
        setRelayStatus: (s: RelayStatus) => statuses.push(s),
        notify: (n: IncomingNotice) => notices.push(n),
        isViewing: (id: string) => id === viewing,
        setUnread: (n: number) => unread.push(n),
        scheduleWake: async () => {
          wakes++;
        },
        scheduleExpiry: async (at: number | null) => {
          expiryAlarms.push(at);
        },
        now: () => Date.now() + clock.offset,
        random: systemRandom,
      };
      const client = createWorkerClient(ctx, platform);
      const views = new ChatViews(client);
      core = new ClientRuntime({
        ctx,
        platform,
        addresses: new DeviceAddressStore(meta),
        client,
        views,
      });
      // The parts of the shell chat requests use; the vault is the lockable storage.
      const shell = {
        isUnlocked: () => !storage.locked,
        touch: async () => {},
      } as unknown as ParleyShell;
      requests = {
        client,
        views,
        runtime: core,
        shell,
        clearNotification: (id) => cleared.push(id),
      };
      onCleanup(() => core.stop());
      return core;
    };
    boot();

    return {
      storage,
      meta,
      queue,
      lockedInbox,
      events,
      statuses,
      notices,
      cleared,
      unread,
      reports,
      expiryAlarms,
      /** lockedArrived calls: stored frames sealed into the locked inbox. */
      locked,
      /** The client's runtime in the worker (lifecycle, registration, expiry). */
      get core() {
        return core;
      },
      /** A page's request, through the request table (payload check, locked gate, handler). */
      call<K extends RequestType>(type: K, data?: RequestOf<K>): Promise<ResponseOf<K>> {
        return dispatch(requests, type, data) as Promise<ResponseOf<K>>;
      },
      get wakes() {
        return wakes;
      },
      view(id: string | null) {
        viewing = id;
      },
      now: () => Date.now() + clock.offset,
      /** Moves the worker's clock forward. */
      advance(ms: number) {
        clock.offset += ms;
      },
      /** The person changed settings (the shell stores them, then tells the core). */
      setSettings(patch: Partial<Settings>) {
        settings = { ...settings, ...patch };
        core.onSettings(settings);
      },
      /** The worker died: a new core on the same storage, and a fresh worker is always locked. */
      async restart() {
        await core.stop();
        storage.locked = true;
        return boot();
      },
      lock() {
        storage.locked = true;
        core.onLocked();
      },
      async unlock() {
        storage.locked = false;
        await core.onUnlocked();
      },
    };
  }

  type Profile = ReturnType<typeof profile>;

  /** Onboarding as the pages drive it: options from the relay, a passkey, the vault, registration. */
  async function onboard(
    name: string,
    platform: Partial<ClientPlatform> = {},
  ): Promise<Profile & { handle: string }> {
    const p = profile(platform);
    const h = handle(name);
    await p.lockedInbox.ensureKeys();
    const start = await p.core.beginRegistration({ relayUrl: relayOf().url, handle: h });
    const credential = await softAuthenticator().createCredential(start.publicKey as never);
    await p.core.finishRegistration({
      relayUrl: relayOf().url,
      handle: h,
      credential: credential as unknown as RegistrationCredentialJson,
    });
    await p.core.resume();
    await waitFor(() => p.core.relayStatus().state === 'online', 'core online');
    return Object.assign(p, { handle: h });
  }

  async function peer(name: string, overrides: Partial<ClientDeps> = {}): Promise<TestUser> {
    const u = await registerUser(relayOf().url, handle(name), overrides);
    onCleanup(() => u.client.stop());
    return u;
  }

  async function textsOf(p: Profile, conversationId: string): Promise<string[]> {
    const page = await p.call('getMessages', { conversationId, limit: 100 });
    return page.messages.filter((m) => m.kind === 'text').map((m) => m.text);
  }

  async function peerTexts(u: TestUser, conversationId: string): Promise<string[]> {
    const page = await u.client.getMessages({ conversationId, limit: 500 });
    return page.messages.filter((m) => m.kind === 'text').map((m) => m.text);
  }

  return { profile, onboard, peer, textsOf, peerTexts };
}

export type CoreProfile = ReturnType<ReturnType<typeof coreTesting>['profile']>;

/**
 * coreTesting against a relay process of the calling test file's own, started
 * before its tests and stopped after them, once every core and peer they made
 * has stopped. Call it at the top level of a test file.
 */
export function coreTestingOnRelay() {
  let relay: RelayProcess | undefined;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    relay = await RelayProcess.start();
  });

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await relay?.dispose();
  });

  const relayOf = (): RelayProcess => {
    if (relay === undefined) throw new Error('The relay starts in beforeAll');
    return relay;
  };
  return { relay: relayOf, ...coreTesting(relayOf, (cleanup) => cleanups.push(cleanup)) };
}
