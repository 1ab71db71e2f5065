import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../../../shared/bytes.ts';
import type { ParleyClient } from '../../../shared/client/parley-client.ts';
import { createMemoryStorage } from '../../../shared/client/store/store.ts';
import { systemRandom } from '../../../shared/crypto/random.ts';
import { ErrorCode, ParleyError } from '../../../shared/errors.ts';
import { errorOf } from '../../../shared/testing/errors.ts';
import {
  type AppStatus,
  DEFAULT_AUTO_LOCK_MINUTES,
  DEFAULT_SETTINGS,
  type ParleyEvent,
} from '../../lib/protocol.ts';
import {
  fakeAlarms,
  fakeClient,
  manualClock,
  memoryMeta,
  memoryQueue,
} from '../../testing/fakes.ts';
import { AccountStore, DeviceAddressStore } from './account.ts';
import { ALARM_AUTO_LOCK, AutoLock } from './alarms.ts';
import { ChatViews } from './chat-views.ts';
import { ClientRuntime } from './client-runtime.ts';
import { DeviceNotices } from './device-notices.ts';
import { LinkJobs } from './link-jobs.ts';
import { INBOX_PUBLIC_META, LockedInbox } from './locked-inbox.ts';
import type { RequestContext } from './requests/row.ts';
import { type RequestOf, type RequestType, type ResponseOf, runRequest } from './requests/table.ts';
import { ParleyShell } from './service.ts';
import { SettingsStore } from './settings.ts';
import { UserVerification } from './user-verification.ts';
import { Vault, vaultHeadersIn } from './vault.ts';

/** The shell and the request table on a fake client core. */
function setup(clientOverrides: Partial<ParleyClient> = {}) {
  const meta = memoryMeta();
  const clock = manualClock();
  const alarms = fakeAlarms();
  const events: ParleyEvent[] = [];
  const statuses: AppStatus[] = [];
  let keepAlives = 0;
  let stopped = 0;
  let wiped = 0;
  const vault = new Vault({
    headers: vaultHeadersIn(meta),
    random: systemRandom,
    now: clock.now,
    argon2: { memoryKiB: 64, iterations: 1, parallelism: 1 },
  });
  const lockedInbox = new LockedInbox({
    queue: memoryQueue(),
    meta,
    records: createMemoryStorage().records,
  });
  const client = fakeClient(clientOverrides);
  const views = new ChatViews(client);
  const runtime = new ClientRuntime({
    ctx: {
      storage: createMemoryStorage(),
      lockedInbox,
      isUnlocked: () => vault.isUnlocked(),
      settings: async () => DEFAULT_SETTINGS,
      emit: (e) => events.push(e),
      setRelayStatus: () => {},
      notify: () => {},
      isViewing: () => false,
      setUnread: () => {},
      scheduleWake: async () => {},
      scheduleExpiry: async () => {},
      now: clock.now,
      random: systemRandom,
    },
    platform: {
      fetch: async () => {
        throw new Error('no network in this test');
      },
      webSocket: undefined as never,
      timers: { setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: () => {} },
      report: () => {},
    },
    addresses: new DeviceAddressStore(meta),
    client,
    views,
  });
  const account = new AccountStore(meta);
  const shell = new ParleyShell({
    vault,
    account,
    settings: new SettingsStore(meta),
    runtime,
    lockedInbox,
    autoLock: new AutoLock(alarms, clock.now),
    keepAlive: () => {
      keepAlives++;
      return () => {
        stopped++;
      };
    },
    probeRelay: async (relayUrl) => ({ relayUrl, latencyMs: 3 }),
    wipeStorage: async () => {
      wiped++;
      meta.data.clear();
    },
    emit: (e) => events.push(e),
    onStatus: (s) => statuses.push(s),
    rpId: 'ext-id',
    report: () => {},
  });
  const ctx: RequestContext = { client, views, runtime, shell, clearNotification: () => {} };
  /** A request past its payload check (tests pass stand-ins such as `{} as never`). */
  const call = <K extends RequestType>(type: K, input?: RequestOf<K>): Promise<ResponseOf<K>> =>
    runRequest(ctx, type, input as never);
  return {
    shell,
    ctx,
    call,
    meta,
    alarms,
    clock,
    events,
    statuses,
    account,
    counts: () => ({ keepAlives, stopped, wiped }),
  };
}

const prf = () => ({
  method: 'prf' as const,
  credentialId: 'Y3JlZGVudGlhbC1pZC0wMQ',
  prfSalt: toBase64Url(systemRandom(32)),
  prfOutput: toBase64Url(systemRandom(32)),
});

describe('ParleyShell', () => {
  it('reports a fresh browser as new, with nothing to unlock', async () => {
    const { call } = setup();
    expect(await call('getStatus')).toEqual({
      vault: 'none',
      onboarding: 'new',
      account: null,
      relay: { state: 'idle' },
      unread: 0,
      unlockMethods: [],
      autoLockAt: null,
    });
  });

  it('creates the vault: unlocked, inbox key made, auto-lock armed, worker kept alive', async () => {
    const { call, meta, alarms, clock, counts } = setup();
    const secret = prf();
    const status = await call('createVault', secret);
    expect(status).toMatchObject({
      vault: 'unlocked',
      onboarding: 'vault-ready',
      unlockMethods: ['prf'],
    });
    expect(status.autoLockAt).toBe(clock.now() + DEFAULT_AUTO_LOCK_MINUTES * 60_000);
    expect(alarms.alarms.get(ALARM_AUTO_LOCK)).toEqual({
      when: clock.now() + DEFAULT_AUTO_LOCK_MINUTES * 60_000,
    });
    expect(meta.data.get(INBOX_PUBLIC_META)).toBeInstanceOf(Uint8Array);
    expect(counts().keepAlives).toBe(1);
  });

  it('locks on request and when the auto-lock alarm is due, and stops the keepalive', async () => {
    const { shell, call, clock, counts, events } = setup();
    const secret = prf();
    await call('createVault', secret);
    expect((await call('lock')).vault).toBe('locked');
    expect(counts().stopped).toBe(1);
    expect((await errorOf(() => call('listConversations'))).code).toBe('VAULT_LOCKED');
    expect((await errorOf(() => call('sendText', { conversationId: 'c', text: 'hi' }))).code).toBe(
      'VAULT_LOCKED',
    );

    await call('unlock', {
      method: 'prf',
      credentialId: secret.credentialId,
      prfOutput: secret.prfOutput,
    });
    await shell.autoLockExpired(); // stale: not due yet
    expect((await call('getStatus')).vault).toBe('unlocked');
    clock.advance(DEFAULT_AUTO_LOCK_MINUTES * 60_000);
    await shell.autoLockExpired();
    expect((await call('getStatus')).vault).toBe('locked');
    await new Promise((r) => setTimeout(r, 0));
    expect(
      events
        .filter((e) => e.type === 'status')
        .map((e) => (e.type === 'status' ? e.status.vault : '')),
    ).toContain('locked');
  });

  it('lets activity postpone the auto-lock', async () => {
    const { shell, call, clock } = setup();
    await call('createVault', prf());
    clock.advance(10 * 60_000);
    await call('touch');
    clock.advance(10 * 60_000);
    await shell.autoLockExpired();
    expect((await call('getStatus')).vault).toBe('unlocked');
  });

  it('applies settings: persisted, re-armed, broadcast', async () => {
    const { call, clock, events } = setup();
    await call('createVault', prf());
    const settings = await call('updateSettings', {
      autoLockMinutes: 1,
      readReceipts: false,
      showPresence: false,
    });
    expect(settings).toEqual({
      autoLockMinutes: 1,
      notifications: true,
      notificationPreview: false,
      readReceipts: false,
      typingIndicators: true,
      showPresence: false,
    });
    expect(await call('getSettings')).toEqual(settings);
    expect((await call('getStatus')).autoLockAt).toBe(clock.now() + 60_000);
    expect(events).toContainEqual({ type: 'settings', settings });
  });

  it('runs onboarding through the client core and refuses to redo or reset a finished one', async () => {
    const registered: string[] = [];
    const { call, account } = setup({
      beginRegistration: async ({ handle }) =>
        ({
          challenge: 'abc',
          user: { name: handle },
        }) as never,
      finishRegistration: async ({ handle }) => {
        registered.push(handle);
        return { userId: 'u1', handle, deviceId: 1, relayUrl: 'http://127.0.0.1:8787' };
      },
    });
    const start = await call('beginRegistration', {
      relayUrl: 'http://127.0.0.1:8787',
      handle: 'alice',
    });
    expect(start.publicKey).toEqual({ challenge: 'abc', user: { name: 'alice' } });
    expect(
      (await errorOf(() => call('finishRegistration', { credential: {} as never }))).code,
    ).toBe('VAULT_LOCKED');
    await call('createVault', prf());
    const done = await call('finishRegistration', { credential: {} as never });
    expect(done).toMatchObject({
      onboarding: 'complete',
      account: { handle: 'alice', relayUrl: 'http://127.0.0.1:8787' },
    });
    expect(registered).toEqual(['alice']);
    expect(await account.get()).toEqual({
      handle: 'alice',
      relayUrl: 'http://127.0.0.1:8787',
      registered: true,
    });
    expect(
      (
        await errorOf(() =>
          call('beginRegistration', { relayUrl: 'http://127.0.0.1:8787', handle: 'bob' }),
        )
      ).code,
    ).toBe('ONBOARDING_DONE');
    expect((await errorOf(() => call('resetOnboarding'))).code).toBe('ONBOARDING_DONE');
  });

  it('throws away an unfinished onboarding', async () => {
    const { call, counts } = setup();
    await call('createVault', prf());
    const status = await call('resetOnboarding');
    expect(status.vault).toBe('none');
    expect(counts().wiped).toBe(1);
  });

  it('passes the focus request to the side panel once', async () => {
    const { call, events } = setup();
    await call('setFocus', { conversationId: 'c1' });
    expect(events).toContainEqual({ type: 'focus', conversationId: 'c1' });
    expect(await call('takeFocus')).toEqual({ conversationId: 'c1' });
    expect(await call('takeFocus')).toEqual({ conversationId: null });
  });

  it('hands chat requests to the client core and keeps its error codes', async () => {
    const sent: string[] = [];
    const { call } = setup({
      sendText: async ({ conversationId, text }) => {
        sent.push(text);
        throw new ParleyError(
          conversationId === 'u:blocked' ? ErrorCode.CONTACT_BLOCKED : ErrorCode.BAD_ARGUMENT,
          'refused',
        );
      },
    });
    await call('createVault', prf());
    expect(await call('listConversations')).toEqual([]);
    // A bad argument is not a blocked contact: the page must not say "Unblock".
    expect(
      (await errorOf(() => call('sendText', { conversationId: 'x:1', text: 'hi' }))).code,
    ).toBe('BAD_ARGUMENT');
    expect(
      (await errorOf(() => call('sendText', { conversationId: 'u:blocked', text: 'hi' }))).code,
    ).toBe('CONTACT_BLOCKED');
    expect(sent).toEqual(['hi', 'hi']);
  });
});

describe('resetIdentity (Settings → Linked devices → Remove and reset identity)', () => {
  const session = { user: 'u_new', handle: 'alice', token: 'fresh-login', expiresAt: 9e12 };
  const address = { relayUrl: 'https://relay.test', userId: 'u_new', deviceId: 7 };

  function withDevices() {
    const resets: string[] = [];
    let reset = false;
    const env = setup({
      resetIdentity: async (input) => {
        resets.push(input.session.token);
        reset = true;
        return { userId: 'u_new', handle: 'alice', deviceId: 7, relayUrl: address.relayUrl };
      },
      deviceAddress: () => (reset ? address : undefined),
    });
    const clock = env.clock;
    const verification = new UserVerification(clock.now);
    const notices = new DeviceNotices(env.meta);
    const links = new LinkJobs({
      fetch: async () => {
        throw new Error('no network in this test');
      },
      blobFetch: async () => {
        throw new Error('no network in this test');
      },
      timers: { setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: () => {} },
      now: clock.now,
      random: systemRandom,
      client: env.ctx.client,
      verification,
      changed: () => {},
    });
    const ctx: RequestContext = { ...env.ctx, devices: { links, verification, notices } };
    /** A passkey login the relay accepted (the fake login answers once the assertion came). */
    const verify = async () => {
      const options = verification.begin(async (authenticator) => {
        await authenticator.getAssertion({ challenge: 'c' } as never);
        return session;
      });
      await options;
      await verification.finish({} as never);
    };
    return { ...env, ctx, notices, resets, verify };
  }

  it('needs a fresh passkey verification and resets nothing without one', async () => {
    const { ctx, call, resets } = withDevices();
    await call('createVault', prf());
    const e = await runRequest(ctx, 'resetIdentity', {} as never).catch((x: unknown) => x);
    expect((e as ParleyError).code).toBe('USER_VERIFICATION_REQUIRED');
    expect(resets).toEqual([]);
  });

  it('resets with the verified session, keeps the new address, clears the notices, tells pages', async () => {
    const { ctx, call, resets, verify, notices, meta, events } = withDevices();
    await call('createVault', prf());
    await notices.add([{ deviceId: 3, name: 'Stolen laptop', at: 1 }]);
    await verify();
    expect(await runRequest(ctx, 'resetIdentity', {} as never)).toBeNull();
    expect(resets).toEqual(['fresh-login']);
    expect(await new DeviceAddressStore(meta).load()).toEqual(address);
    expect(await notices.list()).toEqual([]);
    expect(events).toContainEqual({ type: 'devices' });
    // The proof was used up: a second reset needs another verification.
    const again = await runRequest(ctx, 'resetIdentity', {} as never).catch((x: unknown) => x);
    expect((again as ParleyError).code).toBe('USER_VERIFICATION_REQUIRED');
  });
});
