import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../../../shared/bytes.ts';
import { createMemoryStorage } from '../../../shared/client/store.ts';
import { systemRandom } from '../../../shared/crypto/random.ts';
import { errorOf } from '../../../shared/testing/errors.ts';
import { type AppStatus, DEFAULT_AUTO_LOCK_MINUTES, type ParleyEvent } from '../../lib/protocol.ts';
import { fakeAlarms, manualClock, memoryMeta, memoryQueue } from '../../testing/fakes.ts';
import { AccountStore } from './account.ts';
import { ALARM_AUTO_LOCK, AutoLock } from './alarms.ts';
import { type ChatCore, createUnavailableCore } from './core.ts';
import { INBOX_PUBLIC_META, LockedInbox } from './locked-inbox.ts';
import { ParleyShell } from './service.ts';
import { SettingsStore } from './settings.ts';
import { Vault, vaultHeadersIn } from './vault.ts';

function setup(coreOverrides: Partial<ChatCore> = {}) {
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
  const core: ChatCore = { ...createUnavailableCore({} as never), ...coreOverrides };
  const account = new AccountStore(meta);
  const shell = new ParleyShell({
    vault,
    account,
    settings: new SettingsStore(meta),
    core,
    lockedInbox: new LockedInbox({
      queue: memoryQueue(),
      meta,
      records: createMemoryStorage().records,
    }),
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
  return {
    shell,
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
    const { shell } = setup();
    expect(await shell.getStatus()).toEqual({
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
    const { shell, meta, alarms, clock, counts } = setup();
    const secret = prf();
    const status = await shell.createVault(secret);
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
    const { shell, clock, counts, events } = setup();
    const secret = prf();
    await shell.createVault(secret);
    expect((await shell.lock()).vault).toBe('locked');
    expect(counts().stopped).toBe(1);
    expect((await errorOf(() => shell.listConversations())).code).toBe('VAULT_LOCKED');
    expect((await errorOf(() => shell.sendText({ conversationId: 'c', text: 'hi' }))).code).toBe(
      'VAULT_LOCKED',
    );

    await shell.unlock({
      method: 'prf',
      credentialId: secret.credentialId,
      prfOutput: secret.prfOutput,
    });
    await shell.autoLockExpired(); // stale: not due yet
    expect((await shell.getStatus()).vault).toBe('unlocked');
    clock.advance(DEFAULT_AUTO_LOCK_MINUTES * 60_000);
    await shell.autoLockExpired();
    expect((await shell.getStatus()).vault).toBe('locked');
    await new Promise((r) => setTimeout(r, 0));
    expect(
      events
        .filter((e) => e.type === 'status')
        .map((e) => (e.type === 'status' ? e.status.vault : '')),
    ).toContain('locked');
  });

  it('lets activity postpone the auto-lock', async () => {
    const { shell, clock } = setup();
    await shell.createVault(prf());
    clock.advance(10 * 60_000);
    await shell.touch();
    clock.advance(10 * 60_000);
    await shell.autoLockExpired();
    expect((await shell.getStatus()).vault).toBe('unlocked');
  });

  it('applies settings: persisted, re-armed, broadcast', async () => {
    const { shell, clock, events } = setup();
    await shell.createVault(prf());
    const settings = await shell.updateSettings({
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
    expect(await shell.getSettings()).toEqual(settings);
    expect((await shell.getStatus()).autoLockAt).toBe(clock.now() + 60_000);
    expect(events).toContainEqual({ type: 'settings', settings });
  });

  it('runs onboarding through the core and refuses to redo or reset a finished one', async () => {
    const registered: string[] = [];
    const { shell, account } = setup({
      beginRegistration: async ({ handle }) => ({
        publicKey: { challenge: 'abc', user: { name: handle } },
      }),
      finishRegistration: async ({ handle }) => {
        registered.push(handle);
      },
    });
    const start = await shell.beginRegistration({
      relayUrl: 'http://127.0.0.1:8787',
      handle: 'alice',
    });
    expect(start.publicKey).toEqual({ challenge: 'abc', user: { name: 'alice' } });
    expect((await errorOf(() => shell.finishRegistration({ credential: {} as never }))).code).toBe(
      'VAULT_LOCKED',
    );
    await shell.createVault(prf());
    const done = await shell.finishRegistration({ credential: {} as never });
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
          shell.beginRegistration({ relayUrl: 'http://127.0.0.1:8787', handle: 'bob' }),
        )
      ).code,
    ).toBe('ONBOARDING_DONE');
    expect((await errorOf(() => shell.resetOnboarding())).code).toBe('ONBOARDING_DONE');
  });

  it('throws away an unfinished onboarding', async () => {
    const { shell, counts } = setup();
    await shell.createVault(prf());
    const status = await shell.resetOnboarding();
    expect(status.vault).toBe('none');
    expect(counts().wiped).toBe(1);
  });

  it('passes the focus request to the side panel once', async () => {
    const { shell, events } = setup();
    await shell.setFocus({ conversationId: 'c1' });
    expect(events).toContainEqual({ type: 'focus', conversationId: 'c1' });
    expect(await shell.takeFocus()).toEqual({ conversationId: 'c1' });
    expect(await shell.takeFocus()).toEqual({ conversationId: null });
  });

  it('answers honestly without a client core: empty lists, actions refused', async () => {
    const { shell } = setup();
    await shell.createVault(prf());
    expect(await shell.listConversations()).toEqual([]);
    expect((await errorOf(() => shell.startConversation({ handle: 'bob' }))).code).toBe(
      'CORE_UNAVAILABLE',
    );
    expect((await errorOf(() => shell.sendText({ conversationId: 'c1', text: 'hi' }))).code).toBe(
      'CORE_UNAVAILABLE',
    );
  });
});
