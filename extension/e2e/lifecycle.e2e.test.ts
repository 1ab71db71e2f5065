/**
 * Parley under Chrome's real service-worker lifecycle: plain Chromium over a
 * raw CDP socket (cdp-browser.ts) that never attaches to the worker, a
 * contact writing from a headless client core (shared/client), and the relay
 * tap to see what the browser's worker sends when no page is open.
 *
 *  1. A browser restart with the same profile: the worker reconnects (onStartup)
 *     without any page, stores what arrives sealed, and the toolbar says that
 *     messages wait (badge count, content-free notification); no onboarding tab.
 *  2. Unlock: the waiting messages are shown, the locked notice and grey badge go.
 *  3. Unlocked: a message → unread badge and notification.
 *  4. Chrome stops the worker: the wake alarm starts it again, the vault is
 *     still open (session copy of the key), and the message is counted.
 *  5. Auto-lock fires (1 minute here); a message → locked badge and notice,
 *     both gone after unlock.
 * Prints the time from send to badge/notification for each case.
 *
 * Runs in: Node (vitest), driving /usr/bin/chromium.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayProcess } from '../../edge/testing/relay-process.ts';
import { registerUser, type TestUser } from '../../shared/client/testing/harness.ts';
import { CdpBrowser, type CdpPage } from './cdp-browser.ts';
import { launchBrowser, RESULTS_DIR, startRelay } from './fixture.ts';
import { type RelayTap, startRelayTap } from './relay-tap.ts';
import { onboardWithPassphrase, WAIT_MS } from './steps.ts';

const PASSPHRASE = 'correct horse battery staple';
const BOB = 'bob';
/** Generous: a stopped worker waits for the next wake alarm (every minute). */
const WAKE_BOUND_MS = 100_000;

let relay: RelayProcess;
let tap: RelayTap;
let dir = '';
let alice: TestUser;
let chatId = '';
let browser: CdpBrowser | undefined;
const timings: Record<string, number> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'parley-e2e-lifecycle-'));
  relay = await startRelay();
  tap = await startRelayTap(relay.url);
});

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await alice?.client.stop().catch(() => undefined);
  await tap?.close();
  await relay?.dispose();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
  if (Object.keys(timings).length > 0) {
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(join(RESULTS_DIR, 'lifecycle-timings.json'), JSON.stringify(timings, null, 2));
    console.log('[lifecycle] send → badge/notification (ms):', JSON.stringify(timings));
  }
});

async function until<T>(
  read: () => Promise<T>,
  ok: (v: T) => boolean,
  timeout = WAIT_MS,
  what = 'condition',
): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() - start > timeout)
      throw new Error(
        `Timed out after ${timeout} ms waiting for ${what} (last: ${JSON.stringify(value)})`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What the toolbar and the notification centre show, read in an extension page. */
interface Toolbar {
  readonly badge: string;
  readonly colour: number[];
  readonly title: string;
  readonly notifications: string[];
}

function toolbar(page: CdpPage): Promise<Toolbar> {
  return page.evaluate<Toolbar>(`(async () => ({
    badge: await chrome.action.getBadgeText({}),
    colour: await chrome.action.getBadgeBackgroundColor({}),
    title: await chrome.action.getTitle({}),
    notifications: Object.keys(await chrome.notifications.getAll()).sort(),
  }))()`);
}

/** A request to the worker exactly as Parley's pages send it; returns RpcResult. */
function rpc<T = unknown>(page: CdpPage, type: string, data?: unknown): Promise<T> {
  return page.evaluate<T>(`new Promise((resolve, reject) => {
    chrome.runtime.sendMessage(
      { id: Math.floor(Math.random() * 1e9), type: ${JSON.stringify(type)}, ${data === undefined ? '' : `data: ${JSON.stringify(data)},`} timestamp: Date.now() },
      (reply) => chrome.runtime.lastError ? reject(new Error(chrome.runtime.lastError.message)) : resolve(reply.res),
    );
  })`);
}

async function vaultState(page: CdpPage): Promise<string> {
  const res = await rpc<{ ok: boolean; value?: { vault: string } }>(page, 'getStatus');
  return res.value?.vault ?? 'error';
}

async function clearNotifications(page: CdpPage): Promise<void> {
  await page.evaluate(`(async () => {
    for (const id of Object.keys(await chrome.notifications.getAll())) await chrome.notifications.clear(id);
  })()`);
}

/** Bob's worker acked a stored delivery (sealed or decrypted, and persisted). Only Bob uses the tap. */
function acksFromBob(): number {
  return tap.frames.filter((f) => f.dir === 'up' && f.frame.t === 'ack').length;
}

/** Bob's worker authenticated on a new socket. */
function readiesForBob(): number {
  return tap.frames.filter((f) => f.dir === 'down' && f.frame.t === 'ready').length;
}

async function say(text: string): Promise<number> {
  const at = Date.now();
  await alice.client.sendText({ conversationId: chatId, text });
  return at;
}

async function shot(page: CdpPage, name: string): Promise<void> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${name}.png`), await page.screenshot(380, 560));
}

const LOCKED_NOTICE = 'parley/locked';
/** Bob's conversation with Alice is named after her user id. */
const conversationNotice = () => `parley/conversation/u:${alice.userId}`;

describe('Parley under Chrome’s real worker lifecycle (no DevTools on the worker)', () => {
  it('onboards Bob in a fresh profile (passkey, passphrase vault); Alice writes from a headless client', async () => {
    const first = await launchBrowser({ userDataDir: dir });
    first.context.setDefaultTimeout(WAIT_MS);
    try {
      // The install opened exactly one onboarding tab by itself.
      await until(
        async () =>
          first.context.pages().filter((p) => p.url().endsWith('/onboarding.html')).length,
        (n) => n === 1,
        WAIT_MS,
        'the onboarding tab',
      );
      await onboardWithPassphrase(first, tap.url, BOB, PASSPHRASE);
      await until(
        async () => readiesForBob(),
        (n) => n > 0,
        WAIT_MS,
        'bob online',
      );
    } finally {
      await first.close();
    }
    alice = await registerUser(relay.url, 'alice');
    chatId = (await alice.client.startConversation(BOB)).id;
  });

  it('after a browser restart: reconnects with no page open, counts sealed messages, says so without content', async () => {
    if (alice === undefined) throw new Error('an earlier step failed');
    const readies = readiesForBob();
    browser = await CdpBrowser.launch(dir);
    // onStartup / the worker's own start: connected, with no Parley page open.
    await until(
      async () => readiesForBob(),
      (n) => n > readies,
      WAIT_MS,
      'bob reconnects',
    );
    const pages = (await browser.targets()).filter((t) => t.type === 'page');
    expect(pages.map((t) => t.url)).toEqual(['about:blank']); // no onboarding tab on a restart

    const acks = acksFromBob();
    const sentAt = await say('while you were away');
    await until(
      async () => acksFromBob(),
      (n) => n > acks,
      WAIT_MS,
      'the sealed frame acked',
    );
    timings.afterRestartLocked = Date.now() - sentAt;

    // Only now a page: the badge and notice were already there.
    const page = await browser.open('popup.html');
    const seen = await toolbar(page);
    expect(seen).toMatchObject({
      badge: '1',
      title: 'Parley — locked, 1 new message waiting',
      notifications: [LOCKED_NOTICE],
    });
    expect(await vaultState(page)).toBe('locked');

    // Locked, a page open: the next one is counted at once (no second notification: rate-limited).
    const next = await say('and another');
    await until(
      async () => (await toolbar(page)).badge,
      (b) => b === '2',
      WAIT_MS,
      'badge 2',
    );
    timings.locked = Date.now() - next;
    expect((await toolbar(page)).notifications).toEqual([LOCKED_NOTICE]);
    await page.evaluate('location.reload()').catch(() => undefined);
    // The lock screen says it too, counts only.
    const waiting = await until(
      () =>
        page.evaluate<string | null>(
          'document.querySelector(".lock__waiting")?.textContent ?? null',
        ),
      (v) => v !== null,
      WAIT_MS,
      'the lock screen',
    );
    expect(waiting).toBe('2 new messages waiting');
    await shot(page, 'lifecycle-locked-popup');
    await page.close();
  });

  it('unlocking shows the waiting messages; the locked notice and the grey badge go', async () => {
    if (browser === undefined || alice === undefined) throw new Error('an earlier step failed');
    const page = await browser.open('popup.html');
    const res = await rpc<{ ok: boolean }>(page, 'unlock', {
      method: 'passphrase',
      passphrase: PASSPHRASE,
    });
    expect(res.ok).toBe(true);
    const after = await until(
      () => toolbar(page),
      (t) => t.badge === '2' && !t.notifications.includes(LOCKED_NOTICE),
      WAIT_MS,
      'unread badge, no locked notice',
    );
    expect(after.title).toBe('Parley — 2 unread');
    expect(after.colour).toEqual([79, 70, 229, 255]);
    await page.close();
  });

  it('unlocked, no Parley page open: a message shows in the badge and as a notification', async () => {
    if (browser === undefined || alice === undefined) throw new Error('an earlier step failed');
    // The probe only reads chrome.action and chrome.notifications (no clicks, no key presses).
    const probe = await browser.open('popup.html');
    await clearNotifications(probe);
    const sentAt = await say('you are unlocked');
    await until(
      () => toolbar(probe),
      (t) => t.badge === '3' && t.notifications.includes(conversationNotice()),
      WAIT_MS,
      'unread badge and notification',
    );
    timings.unlocked = Date.now() - sentAt;
    await clearNotifications(probe);
    await probe.close();
  });

  it('Chrome stops the worker: it starts again by itself, still unlocked, and the message is counted', async () => {
    if (browser === undefined || alice === undefined) throw new Error('an earlier step failed');
    await browser.stopWorkers();
    expect(await browser.workerRunning()).toBe(false);
    const acks = acksFromBob();
    const sentAt = await say('while your worker slept');
    // No page, no socket: only the wake alarm (every minute) starts the worker again,
    // so this takes up to a minute, whatever the phase of the alarm.
    await until(
      () => browser?.workerRunning() ?? Promise.resolve(false),
      (r) => r,
      WAKE_BOUND_MS,
      'the worker restarts',
    );
    const restartedAfter = Date.now() - sentAt;
    await until(
      async () => acksFromBob(),
      (n) => n > acks,
      WAKE_BOUND_MS,
      'the worker acks',
    );
    timings.afterIdleStop = Date.now() - sentAt;
    timings.idleStopWorkerBackAfter = restartedAfter;
    const page = await browser.open('popup.html');
    expect(await vaultState(page)).toBe('unlocked');
    const seen = await until(
      () => toolbar(page),
      (t) => t.badge === '4',
      5_000,
      'badge 4',
    );
    expect(seen.notifications).toContain(conversationNotice());
    await clearNotifications(page);
    await page.close();
  });

  it('auto-lock fires; a message then shows the locked badge and notice, which go on unlock', async () => {
    if (browser === undefined || alice === undefined) throw new Error('an earlier step failed');
    const page = await browser.open('popup.html');
    const updated = await rpc<{ ok: boolean }>(page, 'updateSettings', { autoLockMinutes: 1 });
    expect(updated.ok).toBe(true);
    await until(
      () => vaultState(page),
      (s) => s === 'locked',
      WAKE_BOUND_MS,
      'auto-lock',
    );
    expect((await toolbar(page)).badge).toBe('');

    const sentAt = await say('after the auto-lock');
    const seen = await until(
      () => toolbar(page),
      (t) => t.badge === '1' && t.notifications.includes(LOCKED_NOTICE),
      WAIT_MS,
      'locked badge and notice',
    );
    timings.afterAutoLock = Date.now() - sentAt;
    expect(seen.colour).toEqual([87, 83, 78, 255]);
    expect(seen.title).toBe('Parley — locked, 1 new message waiting');

    const res = await rpc<{ ok: boolean }>(page, 'unlock', {
      method: 'passphrase',
      passphrase: PASSPHRASE,
    });
    expect(res.ok).toBe(true);
    const after = await until(
      () => toolbar(page),
      (t) => t.badge === '5' && !t.notifications.includes(LOCKED_NOTICE),
      WAIT_MS,
      'unlocked: unread 5, locked notice gone',
    );
    expect(after.title).toBe('Parley — 5 unread');
    await page.close();
  });
});
