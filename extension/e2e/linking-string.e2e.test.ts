/**
 * Linking path B end to end, in real Chromium (docs/extension.md, "Linked
 * devices"; docs/protocol.md, "Linking a device"): a link string pasted from
 * the new browser into the existing one, and a 6-digit check code shown on
 * the existing browser and typed into the new one.
 *
 *  - A1 and B register. A2 chooses "Link to an existing account", then "Use
 *    a link string instead"; A1 pastes the string in Settings → Linked devices
 *    and shows the check code.
 *  - Three wrong check codes on A2: both sides say so, no warning ever shows
 *    on A1, and A1's account still has one device.
 *  - A second try: one wrong code is refused (A1 keeps waiting), the right one
 *    brings A1's warning; A1 approves with its passkey; while the account is
 *    on its way there is no Cancel. Both profiles then show the same account
 *    and device list, and B's message reaches both.
 *  - axe-core on every new screen, light and dark; screenshots in
 *    test-results/link-b-*.png. Focus lands on each new view's heading.
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
  onboard,
  openConversation,
  openLinkedDevices,
  send,
  shot,
  startChat,
} from './steps.ts';

const PASSPHRASE = 'correct horse battery staple';
const A2_NAME = 'Kitchen Chromium';

let relay: RelayProcess;
let a1: ParleyBrowser;
let a2: ParleyBrowser;
let b: ParleyBrowser;
const { tabs, tab } = namedTabs();

/** The text of the element that holds focus. */
const focused = (page: Page) => page.evaluate(() => document.activeElement?.textContent?.trim());

/** A2: the setup form, then the switch to path B; returns the link string shown. */
async function showLinkString(page: Page): Promise<string> {
  await page.getByLabel('Relay').fill(relay.url);
  await page.getByLabel('Name for this browser').fill(A2_NAME);
  await page.getByLabel('Vault passphrase for this browser').fill(PASSPHRASE);
  await page.getByLabel('Repeat it').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Get a link code' }).click();
  await page.getByRole('button', { name: 'Use a link string instead' }).click();
  const heading = 'Paste this link string into your other browser';
  await page.getByRole('heading', { name: heading }).waitFor();
  const field = page.getByLabel('Link string', { exact: true });
  await eventually(() => field.inputValue()).toMatch(/^parley:link\?v=1&r=/);
  await eventually(() => focused(page)).toBe(heading);
  return field.inputValue();
}

/** A1: Settings → Linked devices → Link a new device → link string; returns the check code. */
async function pasteLinkString(panel: Page, linkString: string): Promise<string> {
  await panel.getByRole('button', { name: 'Link a new device' }).click();
  await panel.getByRole('button', { name: 'Use a link string instead' }).click();
  await panel.getByRole('heading', { name: 'Link with a link string' }).waitFor();
  await eventually(() => focused(panel)).toBe('Link with a link string');
  await panel.getByLabel('Link string shown on the new browser').fill(linkString);
  await panel.getByRole('button', { name: 'Continue' }).click();
  const heading = 'Type this check code on the new browser';
  await panel.getByRole('heading', { name: heading }).waitFor();
  await eventually(() => focused(panel)).toBe(heading);
  const shown = (await panel.locator('.link-check-code [aria-hidden]').textContent()) ?? '';
  expect(shown).toMatch(/^\d{3} \d{3}$/);
  return shown.replace(' ', '');
}

/** A2: types `code` into the check code form. */
async function typeCheckCode(page: Page, code: string): Promise<void> {
  const input = page.getByLabel('Check code shown on your other browser');
  await input.fill(code);
  await page.getByRole('button', { name: 'Check code' }).click();
}

const wrong = (right: string) => (right === '000000' ? '111111' : '000000');

beforeAll(async () => {
  [relay, a1, a2, b] = await startRelayAndThreeBrowsers();
}, 600_000);

afterAll(() => stopRelayAndBrowsers(relay, [a1, a2, b]));

describe('linking a second browser by link string and check code', {
  timeout: 10 * STEP_MS,
}, () => {
  it('A1 and B register', async () => {
    tabs.a1 = await onboard(a1, relay.url, 'alice');
    tabs.b = await onboard(b, relay.url, 'bob');
  });

  it('three wrong check codes end the link on both browsers; nothing is linked', async () => {
    const page = await openPage(a2, 'onboarding');
    tabs.a2 = page;
    await page.getByRole('button', { name: 'Link to an existing account' }).click();
    const linkString = await showLinkString(page);
    await shot(page, 'link-b-1-new-browser-link-string');
    expect(await auditThemes(page)).toEqual([]);

    const panel = await openPage(a1, 'sidepanel', tab('a1'));
    tabs.a1 = panel;
    await openLinkedDevices(panel);
    await panel.getByRole('button', { name: 'Link a new device' }).click();
    await panel.getByRole('button', { name: 'Use a link string instead' }).click();
    await panel.getByRole('heading', { name: 'Link with a link string' }).waitFor();
    await shot(panel, 'link-b-2-existing-paste');
    expect(await auditThemes(panel)).toEqual([]);
    await panel.getByRole('button', { name: 'Cancel' }).click();
    const checkCode = await pasteLinkString(panel, linkString);
    await shot(panel, 'link-b-3-existing-check-code');
    expect(await auditThemes(panel)).toEqual([]);

    const heading = page.getByRole('heading', { name: 'Type the check code' });
    await heading.waitFor();
    await eventually(() => focused(page)).toBe('Type the check code');
    await shot(page, 'link-b-4-new-browser-check-code');
    expect(await auditThemes(page)).toEqual([]);
    for (const left of [2, 1]) {
      await typeCheckCode(page, wrong(checkCode));
      await eventually(() => page.getByRole('alert').textContent()).toBe(
        `That check code does not match: ${left} ${left === 1 ? 'try' : 'tries'} left.`,
      );
    }
    await shot(page, 'link-b-5-new-browser-wrong-code');
    expect(await auditThemes(page)).toEqual([]);
    await typeCheckCode(page, wrong(checkCode));
    await eventually(() => page.locator('.link-status').textContent(), STEP_MS).toBe(
      'The check code was typed wrong three times. Nothing was linked. Start again.',
    );
    await eventually(() => panel.locator('.link-status').textContent(), STEP_MS).toBe(
      'The check code was typed wrong on the new browser. Nothing was sent. Start again there.',
    );
    await shot(panel, 'link-b-6-existing-refused');
    expect(await panel.locator('.link-warning').count()).toBe(0);
    const devices = await callWorker(panel, 'listDevices');
    expect(devices.ok && devices.value.length).toBe(1);
    await panel.getByRole('button', { name: 'Back', exact: true }).click();
    expect(errorsOf(a1, panel)).toEqual([]);
  });

  it('A2 links by link string: a wrong code is refused, the right one leads to approval', async () => {
    const page = tab('a2');
    await page.getByRole('button', { name: 'Start again' }).click();
    await page.getByRole('heading', { name: 'Link to an existing account' }).waitFor();
    const linkString = await showLinkString(page);
    const panel = tab('a1');
    const checkCode = await pasteLinkString(panel, linkString);
    await page.getByRole('heading', { name: 'Type the check code' }).waitFor();

    await typeCheckCode(page, wrong(checkCode));
    await eventually(() => page.getByRole('alert').textContent()).toBe(
      'That check code does not match: 2 tries left.',
    );
    // The existing browser still waits: no warning, nothing sent.
    expect(await panel.locator('.link-warning').count()).toBe(0);
    await panel.getByRole('heading', { name: 'Type this check code on the new browser' }).waitFor();

    // A2's worker answers slowly from now on, so A1 stays in "sending" long enough to look at it.
    await a2.worker.evaluate(() => {
      const real = globalThis.fetch.bind(globalThis);
      globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
        await new Promise((resolve) => setTimeout(resolve, 700));
        return real(input, init);
      };
    });
    await typeCheckCode(page, checkCode);
    await eventually(() => page.locator('.link-status').textContent()).toBe(
      'The check code matches. Approve on your other browser.',
    );
    const warning = panel.getByRole('heading', { name: `Link “${A2_NAME}” to your account?` });
    await warning.waitFor();
    await shot(page, 'link-b-7-new-browser-waiting-approval');
    await shot(panel, 'link-b-8-existing-warning');
    await panel.bringToFront();
    await panel.getByRole('button', { name: 'Approve with passkey' }).click();
    // Approved: the account is on its way, and there is no Cancel to leave it half-linked.
    await panel.locator('.link-status[role="status"]', { hasText: 'Approved.' }).waitFor();
    expect(await panel.getByRole('button', { name: 'Cancel' }).count()).toBe(0);
    await shot(panel, 'link-b-9-existing-sending');
    await eventually(() => panel.locator('.link-status').textContent(), STEP_MS).toContain(
      `Done: ${A2_NAME} is linked.`,
    );
    await page
      .getByRole('heading', { name: 'You’re all set, @alice' })
      .waitFor({ timeout: STEP_MS });
    expect(errorsOf(a2, page)).toEqual([]);
    expect(errorsOf(a1, panel)).toEqual([]);
  });

  it('both profiles show the same account; a message from B reaches both', async () => {
    const a2Panel = await openPage(a2, 'sidepanel', tab('a2'));
    tabs.a2 = a2Panel;
    const a1Panel = tab('a1');
    const s1 = await callWorker(a1Panel, 'getStatus');
    const s2 = await callWorker(a2Panel, 'getStatus');
    expect(s1.ok && s2.ok).toBe(true);
    if (!s1.ok || !s2.ok) return;
    expect(s2.value.account?.handle).toBe('alice');
    expect(s2.value.account).toEqual(s1.value.account);
    const ids = async (page: Page) => {
      const list = await callWorker(page, 'listDevices');
      return list.ok ? list.value.map((d) => d.id).sort() : [];
    };
    await eventually(() => ids(a2Panel)).toHaveLength(2);
    expect(await ids(a2Panel)).toEqual(await ids(a1Panel));

    const bPanel = await openPage(b, 'sidepanel', tab('b'));
    tabs.b = bPanel;
    await startChat(bPanel, 'alice');
    await send(bPanel, 'Hello Alice, on both of your browsers?');
    await a1Panel.getByRole('button', { name: 'Back to settings' }).click();
    await a1Panel.getByRole('button', { name: 'Back to conversations' }).click();
    await openConversation(a1Panel, 'bob');
    await bubble(a1Panel, 'on both of your browsers').waitFor();
    await openConversation(a2Panel, 'bob');
    await bubble(a2Panel, 'on both of your browsers').waitFor();
    await shot(a2Panel, 'link-b-10-new-browser-chat');
    expect(errorsOf(a2, a2Panel)).toEqual([]);
  });
});
