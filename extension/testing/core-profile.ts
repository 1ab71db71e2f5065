/**
 * Test-only: the extension's ChatCore in Node, as the worker runs it
 * (chat-core.ts on storage that behaves like the sealed vault, the real
 * LockedInbox, `ws`), plus plain shared/client peers, against a real relay.
 * Shared by the chat-core test files (coreTestingOnRelay gives each its own relay).
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
import {
  type ClientCore,
  type ClientPlatform,
  createClientCore,
} from '../entrypoints/background/chat-core.ts';
import type { IncomingNotice } from '../entrypoints/background/core.ts';
import { LockedInbox } from '../entrypoints/background/locked-inbox.ts';
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
  function profile(platform: Partial<ClientPlatform> = {}) {
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
    let core: ClientCore;

    const boot = (): ClientCore => {
      const create = createClientCore(
        {
          fetch: nodeFetch,
          webSocket: WebSocket,
          timers: nodeTimers,
          origin: TEST_ORIGIN,
          report: (what) => reports.push(what),
          ...platform,
        },
        new DeviceAddressStore(meta),
      );
      core = create({
        storage,
        lockedInbox,
        isUnlocked: () => !storage.locked,
        lockedArrived: () => {
          locked.arrivals++;
        },
        settings: async () => settings,
        emit: (e) => events.push(e),
        setRelayStatus: (s) => statuses.push(s),
        notify: (n) => notices.push(n),
        clearNotification: (id) => cleared.push(id),
        isViewing: (id) => id === viewing,
        setUnread: (n) => unread.push(n),
        scheduleWake: async () => {
          wakes++;
        },
        scheduleExpiry: async (at) => {
          expiryAlarms.push(at);
        },
        now: () => Date.now() + clock.offset,
        random: systemRandom,
      }) as ClientCore;
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
      get core() {
        return core;
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
    const page = await p.core.getMessages({ conversationId, limit: 100 });
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
