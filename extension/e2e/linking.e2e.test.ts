/**
 * Linked devices end to end, in real Chromium (docs/extension.md, "Linked
 * devices"): three profiles and one real relay.
 *
 *  - A1 registers (PRF passkey). A2 chooses "Link to an existing account",
 *    sets its passphrase and shows a typed code; A1 types it in Settings →
 *    Linked devices, sees the warning naming A2 and approves with a fresh
 *    passkey user verification (the virtual authenticator's UV).
 *  - Before the link, A1 and B exchange messages; the approval screen's "Also
 *    send my message history" is on, A2 shows "Receiving history… n %", then
 *    that history, each message once. A1 shows the "A new device was linked"
 *    notice (pushed by the device-list sync).
 *  - B writes to Alice: both A1 and A2 show the conversation and B's message;
 *    A2 answers: B reads it, and A1 shows it as its own (the sync transcript).
 *  - A1 removes A2 (confirm dialog + passkey): A2 shows the removed screen and
 *    its IndexedDB is empty; "Set up again" opens a clean onboarding where A2
 *    registers anew; B's next message reaches A1 only.
 *  - A1 resets its identity (confirm dialog + passkey): it is alone on the
 *    account.
 *  - axe-core on the new screens, light and dark; screenshots of every step of
 *    the link flow in test-results/link-*.png.
 *
 * Waits are on conditions, never fixed sleeps.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayProcess } from '../../edge/testing/relay-process.ts';
import { auditThemes } from './axe.ts';
import { callWorker, errorsOf, openPage, type ParleyBrowser } from './fixture.ts';
import {
  namedTabs,
  STEP_MS,
  startRelayAndThreeBrowsers,
  stopRelayAndBrowsers,
} from './multi-browser.ts';
import {
  bubble,
  eventually,
  exchangeMessages,
  onboard,
  openConversation,
  openLinkedDevices,
  send,
  shot,
  startChat,
} from './steps.ts';

const PASSPHRASE = 'correct horse battery staple';
const A2_NAME = 'Laptop Chromium';
/** Exchanged before A2 exists; A2 must show each of them exactly once. */
const BEFORE = [
  { from: 'b', text: 'Before the laptop: hello from Bob' },
  { from: 'a1', text: 'Before the laptop: Alice answers' },
  { from: 'b', text: 'Before the laptop: Bob again' },
] as const;

let relay: RelayProcess;
let a1: ParleyBrowser;
let a2: ParleyBrowser;
let b: ParleyBrowser;
const { tabs, tab } = namedTabs();

/** The account's device ids, as the worker's `listDevices` answers them (a DeviceView starts with id, name). */
async function deviceIds(page: Page): Promise<number[]> {
  const answer = await page.evaluate(
    () =>
      new Promise<unknown>((resolve) =>
        chrome.runtime.sendMessage({ id: 2, type: 'listDevices', timestamp: Date.now() }, resolve),
      ),
  );
  const text = JSON.stringify(answer);
  const ids = [...text.matchAll(/"id":(\d+),"name":/g)].map((m) => Number(m[1]));
  if (ids.length === 0) throw new Error(`listDevices answered ${text.slice(0, 200)}`);
  return ids;
}

/** Each device's `lastSeenAt` as the worker's `listDevices` answers it. */
async function lastSeen(page: Page): Promise<unknown[]> {
  const answer = (await page.evaluate(
    () =>
      new Promise<unknown>((resolve) =>
        chrome.runtime.sendMessage({ id: 3, type: 'listDevices', timestamp: Date.now() }, resolve),
      ),
  )) as { res?: { value?: { lastSeenAt?: unknown }[] } };
  return (answer.res?.value ?? [undefined]).map((d) => d?.lastSeenAt);
}

beforeAll(async () => {
  [relay, a1, a2, b] = await startRelayAndThreeBrowsers();
}, 600_000);

afterAll(() => stopRelayAndBrowsers(relay, [a1, a2, b]));

describe('linking a second browser to an account', { timeout: 10 * STEP_MS }, () => {
  it('A1 and B register', async () => {
    tabs.a1 = await onboard(a1, relay.url, 'alice');
    tabs.b = await onboard(b, relay.url, 'bob');
  });

  it('before linking, A1 and B exchange a few messages', async () => {
    const bPanel = await openPage(b, 'sidepanel', tab('b'));
    tabs.b = bPanel;
    await startChat(bPanel, 'alice');
    const a1Panel = await openPage(a1, 'sidepanel', tab('a1'));
    tabs.a1 = a1Panel;
    await exchangeMessages(
      { name: 'b', panel: bPanel, handle: 'bob' },
      { name: 'a1', panel: a1Panel },
      BEFORE,
    );
  });

  it('A2 links by the typed code; A1 approves after the warning with its passkey', async () => {
    const page = await openPage(a2, 'onboarding');
    tabs.a2 = page;
    await page.getByRole('button', { name: 'Link to an existing account' }).click();
    await page.getByRole('heading', { name: 'Link to an existing account' }).waitFor();
    await shot(page, 'link-1-new-browser-form');
    expect(await auditThemes(page)).toEqual([]);
    await page.getByLabel('Relay').fill(relay.url);
    await page.getByLabel('Name for this browser').fill(A2_NAME);
    await page.getByLabel('Vault passphrase for this browser').fill(PASSPHRASE);
    await page.getByLabel('Repeat it').fill(PASSPHRASE);
    await page.getByRole('button', { name: 'Get a link code' }).click();
    const codeBox = page.locator('.link-code [aria-hidden]');
    await codeBox.waitFor();
    const code = (await codeBox.textContent()) ?? '';
    expect(code).toMatch(/^[1-9A-Z]{4}-[1-9A-Z]{4}-[1-9A-Z]{4}$/);
    await eventually(() => page.locator('.link-status').textContent()).toContain(
      'Waiting for your other browser',
    );
    await shot(page, 'link-2-new-browser-code');
    expect(await auditThemes(page)).toEqual([]);

    // Every status line A2 shows, however briefly (the history may come in fast).
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { linkLines: string[] }).linkLines = seen;
      new MutationObserver(() => {
        const text = document.querySelector('.link-status')?.textContent ?? '';
        if (seen.at(-1) !== text) seen.push(text);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });

    // A1: the side panel in the tab that holds its passkey.
    const panel = await openPage(a1, 'sidepanel', tab('a1'));
    tabs.a1 = panel;
    await openLinkedDevices(panel);
    await panel.getByRole('button', { name: 'Link a new device' }).click();
    await shot(panel, 'link-3-existing-devices');
    expect(await auditThemes(panel)).toEqual([]);
    await panel.getByLabel('Code shown on the new browser').fill(code.toLowerCase());
    await panel.getByRole('button', { name: 'Continue' }).click();
    const warning = panel.getByRole('heading', { name: `Link “${A2_NAME}” to your account?` });
    await warning.waitFor();
    await expect
      .poll(() => panel.locator('.link-warning').textContent())
      .toContain('Someone asking you to type a code is trying to take your account.');
    const historyToggle = panel.getByRole('switch', { name: 'Also send my message history' });
    expect(await historyToggle.isChecked()).toBe(true);
    await shot(panel, 'link-4-existing-warning');
    expect(await auditThemes(panel)).toEqual([]);

    // Approving without the passkey is refused by the worker itself.
    const bypass = await panel.evaluate(
      () =>
        new Promise<unknown>((resolve) =>
          chrome.runtime.sendMessage(
            { id: 1, type: 'linkDecide', data: { approve: true }, timestamp: Date.now() },
            resolve,
          ),
        ),
    );
    expect(JSON.stringify(bypass)).toContain('USER_VERIFICATION_REQUIRED');

    await panel.bringToFront();
    // A2's worker downloads the history archive slowly (each blob GET held
    // 1.5 s), so "Receiving history…" stays on screen long enough to capture.
    await a2.worker.evaluate(() => {
      const real = globalThis.fetch.bind(globalThis);
      globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
        const url = input instanceof Request ? input.url : String(input);
        if ((init?.method ?? 'GET') === 'GET' && url.includes('/v1/attachments/'))
          await new Promise((resolve) => setTimeout(resolve, 1500));
        return real(input, init);
      };
    });
    await panel.getByRole('button', { name: 'Approve with passkey' }).click();
    const receiving = page.locator('.link-status[data-phase="history"]');
    await receiving.waitFor({ timeout: 60_000 });
    await shot(page, 'link-5a-new-browser-receiving-history');
    await eventually(() => panel.locator('.link-status').textContent(), 60_000).toContain(
      `Done: ${A2_NAME} is linked.`,
    );
    await shot(panel, 'link-5-existing-done');
    await page
      .getByRole('heading', { name: 'You’re all set, @alice' })
      .waitFor({ timeout: 60_000 });
    await shot(page, 'link-6-new-browser-done');
    const lines = await page.evaluate(
      () => (window as unknown as { linkLines: string[] }).linkLines,
    );
    expect(lines.some((l) => /^Receiving history…( \d{1,3} %)?$/.test(l))).toBe(true);
    const devices = panel.getByRole('list').filter({ hasText: 'This browser' });
    await eventually(() => devices.textContent()).toContain(A2_NAME);
    // The linked browser has connected: the relay tells this account when, and the page says so.
    await eventually(async () => (await lastSeen(panel)).every((t) => typeof t === 'number')).toBe(
      true,
    );
    await panel.reload();
    await openLinkedDevices(panel);
    await eventually(() => devices.textContent()).toContain('Active now');
    await eventually(() => devices.textContent()).toContain('Last active');
    await shot(panel, 'link-7-existing-device-list');
    // The device-list sync tells A1 too, not only the account's other browsers.
    const linkedNotice = panel.getByRole('alert', { name: 'New device linked' });
    await eventually(() => linkedNotice.textContent(), 60_000).toContain(A2_NAME);
    await shot(panel, 'link-7a-existing-new-device-notice');
    expect(errorsOf(a2, page)).toEqual([]);
    expect(errorsOf(a1, panel)).toEqual([]);
  });

  it('A2 shows the history from before it was linked, each message once', async () => {
    const a2Panel = await openPage(a2, 'sidepanel');
    tabs.a2 = a2Panel;
    await openConversation(a2Panel, 'bob');
    for (const m of BEFORE) {
      await bubble(a2Panel, m.text).first().waitFor();
      expect(await bubble(a2Panel, m.text).count()).toBe(1);
      const side = m.from === 'a1' ? 'out' : 'in';
      expect(
        await a2Panel.locator(`.bubble-row--${side} .bubble`, { hasText: m.text }).count(),
      ).toBe(1);
    }
    await shot(a2Panel, 'link-7b-new-browser-history');
  });

  it('B writes to Alice: both of her browsers show it; A2 answers: B and A1 show it', async () => {
    const bPanel = tab('b');
    await send(bPanel, 'Hi Alice, which browser reads this?');

    const a1Panel = tab('a1');
    await a1Panel.getByRole('button', { name: 'Back to settings' }).click();
    await a1Panel.getByRole('button', { name: 'Back to conversations' }).click();
    await openConversation(a1Panel, 'bob');
    await bubble(a1Panel, 'which browser reads this').waitFor();

    const a2Panel = tab('a2');
    await bubble(a2Panel, 'which browser reads this').waitFor();
    await shot(a2Panel, 'link-8-new-browser-chat');
    await send(a2Panel, 'Both of them. This one is the laptop.');
    await openConversation(bPanel, 'alice').catch(() => undefined);
    await bubble(bPanel, 'This one is the laptop').waitFor();
    // A1 shows what A2 sent as its own message (own-device sync).
    await a1Panel
      .locator('.bubble-row--out .bubble', { hasText: 'This one is the laptop' })
      .waitFor();
    expect(await bubble(a1Panel, 'This one is the laptop').count()).toBe(1);
    for (const m of BEFORE) expect(await bubble(a2Panel, m.text).count()).toBe(1);
  });

  it('A1 removes A2: A2 shows the removed screen, its data is gone; B reaches A1 only', async () => {
    const a1Panel = tab('a1');
    await a1Panel.getByRole('button', { name: 'Back to conversations' }).click();
    await openLinkedDevices(a1Panel);
    await a1Panel.getByRole('button', { name: `Remove ${A2_NAME}` }).click();
    const dialog = a1Panel.getByRole('dialog', { name: `Remove “${A2_NAME}”?` });
    await dialog.waitFor();
    await shot(a1Panel, 'link-9-remove-dialog');
    expect(await auditThemes(a1Panel)).toEqual([]);
    await a1Panel.bringToFront();
    await dialog.getByRole('button', { name: 'Remove' }).click();
    await dialog.waitFor({ state: 'detached' });
    await eventually(() => a1Panel.locator('.device-list').textContent()).not.toContain(A2_NAME);

    const a2Panel = tab('a2');
    await a2Panel
      .getByRole('heading', { name: 'This browser was removed from your Parley account' })
      .waitFor({ timeout: 60_000 });
    await shot(a2Panel, 'link-10-removed');
    expect(await auditThemes(a2Panel)).toEqual([]);
    const left = await a2Panel.evaluate(
      () =>
        new Promise<number>((resolve, reject) => {
          const open = indexedDB.open('parley');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const count = open.result.transaction('records').objectStore('records').count();
            count.onsuccess = () => resolve(count.result);
          };
        }),
    );
    expect(left).toBe(0);

    // "Set up again" forgets the removal and opens onboarding; this browser can start over.
    const [fresh] = await Promise.all([
      a2.context.waitForEvent('page'),
      a2Panel.getByRole('button', { name: 'Set up again' }).click(),
    ]);
    await fresh.getByLabel('Handle').waitFor();
    const wiped = await callWorker(fresh, 'getStatus');
    expect(
      wiped.ok ? [wiped.value.removedAt, wiped.value.vault, wiped.value.account] : wiped,
    ).toEqual([undefined, 'none', null]);
    await fresh.close();
    await onboard(a2, relay.url, 'carol');
    const again = await callWorker(a2Panel, 'getStatus');
    expect(again.ok ? [again.value.removedAt, again.value.account?.handle] : again).toEqual([
      undefined,
      'carol',
    ]);

    const bPanel = tab('b');
    await send(bPanel, 'Only the desktop should get this one.');
    await a1Panel.getByRole('button', { name: 'Back to settings' }).click();
    await a1Panel.getByRole('button', { name: 'Back to conversations' }).click();
    await openConversation(a1Panel, 'bob');
    await bubble(a1Panel, 'Only the desktop should get this one').waitFor();
    expect(errorsOf(a1, a1Panel)).toEqual([]);
  });

  it('A1 resets its identity after the confirm dialog and a passkey verification', async () => {
    const a1Panel = tab('a1');
    await a1Panel.getByRole('button', { name: 'Back to conversations' }).click();
    await openLinkedDevices(a1Panel);
    const before = await deviceIds(a1Panel);
    expect(before).toHaveLength(1);
    await a1Panel.getByRole('button', { name: 'Remove and reset identity' }).click();
    const dialog = a1Panel.getByRole('dialog', {
      name: 'Remove all other browsers and reset your identity?',
    });
    await dialog.waitFor();
    await expect
      .poll(() => dialog.textContent())
      .toContain('Your contacts will see that your safety number changed');
    await shot(a1Panel, 'link-11-reset-identity-dialog');
    expect(await auditThemes(a1Panel)).toEqual([]);
    await a1Panel.bringToFront();
    await dialog.getByRole('button', { name: 'Reset identity' }).click();
    await dialog.waitFor({ state: 'detached', timeout: 60_000 });
    // A new device under a new identity: this browser alone, with another id.
    const after = await deviceIds(a1Panel);
    expect(after).toHaveLength(1);
    expect(after).not.toEqual(before);
    expect(await a1Panel.locator('.device-list').textContent()).toContain('This browser');
    expect(errorsOf(a1, a1Panel)).toEqual([]);
  });
});

declare const chrome: {
  runtime: { sendMessage(message: unknown, callback: (response: unknown) => void): void };
};
