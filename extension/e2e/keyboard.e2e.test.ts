/**
 * The core tasks by keyboard only, in real Chromium with the built extension
 * and the real relay, asserting after each step where focus is
 * (docs/extension.md, "Focus and keyboard"): onboarding's steps, the
 * conversation list as one Tab stop with arrow keys, start a chat (and
 * Escape out of it), open a chat, back, contact page, the disappearing-
 * message timer (arrows send nothing; Enter sends one change), settings, the
 * shortcut sheet, lock and unlock. Two plain client-core accounts (bob,
 * carol) are the people written to.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayProcess } from '../../edge/testing/relay-process.ts';
import { registerUser, type TestUser } from '../../shared/client/testing/harness.ts';
import {
  addVirtualAuthenticator,
  callWorker,
  errorsOf,
  launchBrowser,
  openPage,
  type ParleyBrowser,
  startRelay,
} from './fixture.ts';
import { eventually, notice, shot, WAIT_MS } from './steps.ts';

let relay: RelayProcess;
let alice: ParleyBrowser;
const people: TestUser[] = [];
let page: Page;

beforeAll(async () => {
  relay = await startRelay();
  alice = await launchBrowser();
  alice.context.setDefaultTimeout(WAIT_MS);
  people.push(await registerUser(relay.url, 'bob'), await registerUser(relay.url, 'carol'));
});

afterAll(async () => {
  for (const p of people) await p.client.stop();
  await alice?.close();
  await relay?.dispose();
});

/** Whether the focused element matches `selector` (a Playwright selector). */
function focusIs(selector: string): Promise<boolean> {
  return page
    .locator(selector)
    .evaluateAll((els) => els.some((el) => el === el.ownerDocument.activeElement));
}

/** Waits until focus is on an element matching `selector`. */
async function expectFocus(selector: string): Promise<void> {
  try {
    await eventually(() => focusIs(selector), 5_000).toBe(true);
  } catch (e) {
    const active = await page.evaluate(
      () => document.activeElement?.outerHTML.slice(0, 200) ?? 'none',
    );
    throw new Error(`focus is not on ${selector} but on ${active}`, { cause: e });
  }
}

/** Presses Tab (or Shift+Tab) until focus matches `selector`; fails after `max` presses. */
async function tabTo(selector: string, back = false, max = 25): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await focusIs(selector)) return;
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
  }
  expect(await focusIs(selector), `Tab never reached ${selector}`).toBe(true);
}

const ENTRY = '.conv-list button.conv';
/** A list row, found by its accessible name: the sr-only sentence that starts with its title. */
const entryOf = (title: string) => `${ENTRY}:has(> .sr-only:text-matches("^${title},"))`;

describe('keyboard only', () => {
  it('onboarding: each step puts focus on its first control, the last on its heading', async () => {
    page = await openPage(alice, 'onboarding');
    await addVirtualAuthenticator(page, { prf: true });
    await page.bringToFront();
    await expectFocus('#handle');
    await page.keyboard.type('alice');
    await page.keyboard.press('Shift+Tab');
    await expectFocus('#relay-url');
    await page.keyboard.press('Control+A');
    await page.keyboard.type(relay.url);
    await page.keyboard.press('Enter');
    await expectFocus('button.btn--primary:has-text("Create passkey")');
    await page.keyboard.press('Enter');
    await expectFocus('h2[data-view-heading]:has-text("You’re all set")');
    expect(errorsOf(alice, page)).toEqual([]);
  });

  it('start a chat: Alt+N opens the form, Escape closes it onto its button, Enter opens the chat on the composer', async () => {
    page = await openPage(alice, 'sidepanel', page);
    // No conversations yet: the empty state's "Start a chat".
    await expectFocus('.empty button');
    await page.keyboard.press('Alt+N');
    await expectFocus('#start-chat-handle');
    await page.keyboard.press('Escape');
    await expectFocus('[data-opens="compose"]');
    for (const handle of ['carol', 'bob']) {
      await page.keyboard.press('Alt+N');
      await expectFocus('#start-chat-handle');
      await page.keyboard.type(handle);
      await page.keyboard.press('Enter');
      await page.getByRole('log', { name: `Messages with ${handle}` }).waitFor();
      await expectFocus('#composer-text');
      await page.keyboard.type(`hello ${handle}`);
      await page.keyboard.press('Enter');
      await page
        .locator('.bubble')
        .filter({ hasText: `hello ${handle}` })
        .waitFor();
      // Escape: back to the list, onto the chat just left.
      await page.keyboard.press('Escape');
      await expectFocus(entryOf(handle));
    }
  });

  it('the list is one Tab stop; arrows, Home and End move; Enter opens; Alt+↓ goes to the next chat', async () => {
    await page.getByRole('list', { name: 'Conversations' }).waitFor();
    expect(await page.locator(`${ENTRY}[tabindex="0"]`).count()).toBe(1);
    expect(await page.locator(ENTRY).count()).toBe(2);
    await expectFocus(entryOf('bob'));
    await page.keyboard.press('ArrowDown');
    await expectFocus(entryOf('carol'));
    await page.keyboard.press('Home');
    await expectFocus(entryOf('bob'));
    await page.keyboard.press('End');
    await expectFocus(entryOf('carol'));
    // Tab leaves the list at once (one stop), Shift+Tab comes back to the entry last focused.
    await page.keyboard.press('Tab');
    expect(await focusIs(ENTRY)).toBe(false);
    await page.keyboard.press('Shift+Tab');
    await expectFocus(entryOf('carol'));
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    await page.getByRole('log', { name: 'Messages with bob' }).waitFor();
    await expectFocus('#composer-text');
    await page.keyboard.press('Alt+ArrowDown');
    await page.getByRole('log', { name: 'Messages with carol' }).waitFor();
    await expectFocus('#composer-text');
    await page.keyboard.press('Alt+ArrowUp');
    await page.getByRole('log', { name: 'Messages with bob' }).waitFor();
  });

  it('contact page: focus on its heading; the timer sends nothing on arrows and one change on Enter; Escape returns', async () => {
    await tabTo('[data-opens="details"]', true);
    await page.keyboard.press('Enter');
    await expectFocus('h2[data-view-heading]:has-text("@bob")');
    await tabTo('#timer-select');
    await page.keyboard.press('Enter');
    const menu = page.getByRole('menu', { name: 'Disappearing messages' });
    await menu.waitFor();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await expectFocus('[role="menuitemradio"]:has-text("5 minutes")');
    await shot(page, 'keyboard-timer-menu');
    // Moving through the choices changed nothing.
    const timerOf = async () => {
      const list = await callWorker(page, 'listConversations');
      return list.ok ? (list.value.find((c) => c.title === 'bob')?.timerMs ?? 0) : -1;
    };
    expect(await timerOf()).toBe(0);
    await page.keyboard.press('Enter');
    await menu.waitFor({ state: 'hidden' });
    await expectFocus('#timer-select');
    await eventually(timerOf).toBe(300_000);
    await eventually(() => page.locator('#timer-value').textContent()).toBe('5 minutes');
    // Escape: back to the chat, onto the header's details button.
    await page.keyboard.press('Escape');
    await expectFocus('[data-opens="details"]');
    // Exactly one change was made (and sent): one notice, for the value chosen.
    await notice(page, /You set disappearing messages to 5 minutes/).waitFor();
    expect(await notice(page, /You set disappearing messages/).count()).toBe(1);
    await page.keyboard.press('Escape');
    await expectFocus(entryOf('bob'));
  });

  it('settings and the shortcut sheet: focus on the heading, the sheet traps focus, Escape returns', async () => {
    await tabTo('[data-opens="settings"]', true);
    await page.keyboard.press('Enter');
    await expectFocus('h1[data-view-heading]');
    await page.keyboard.press('Escape');
    await expectFocus('[data-opens="settings"]');
    await page.keyboard.press('?');
    const sheet = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await sheet.waitFor();
    await expectFocus('dialog button[aria-label="Close"]');
    await shot(page, 'keyboard-shortcut-sheet');
    // Tab stays in the dialog (the page behind it is inert).
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.closest('dialog') !== null)).toBe(
      true,
    );
    await page.keyboard.press('Escape');
    await sheet.waitFor({ state: 'hidden' });
    await expectFocus('[data-opens="settings"]');
  });

  it('lock and unlock: the unlock button takes focus, then the list', async () => {
    await tabTo('button[aria-label="Lock Parley"]');
    await page.keyboard.press('Enter');
    await expectFocus('button:has-text("Unlock with passkey")');
    await page.keyboard.press('Enter');
    await page.getByRole('list', { name: 'Conversations' }).waitFor();
    await expectFocus(ENTRY);
    expect(errorsOf(alice, page)).toEqual([]);
  });

  it('drafts: kept when leaving a chat and closing the popup, shown as "Draft:", gone once sent', async () => {
    const draftOf = async (title: string) => {
      const list = await callWorker(page, 'listConversations');
      return list.ok ? list.value.find((c) => c.title === title)?.draft : 'no list';
    };
    // Side panel: type, Escape to the list; the entry says "Draft: …".
    await page.locator(entryOf('carol')).focus();
    await page.keyboard.press('Enter');
    await expectFocus('#composer-text');
    await page.keyboard.type('half a thought');
    await page.keyboard.press('Escape');
    await expectFocus(entryOf('carol'));
    // Leaving with typed text reports "stopped typing" after the chat is gone: no stale reads.
    expect(errorsOf(alice, page)).toEqual([]);
    await eventually(() => page.locator(entryOf('carol')).textContent()).toContain(
      'Draft: half a thought',
    );
    // Popup: type a draft for bob and close it before doing anything else.
    const sidePanel = page;
    page = await openPage(alice, 'popup');
    await page.locator(entryOf('bob')).waitFor();
    await page.locator(entryOf('bob')).focus();
    await page.keyboard.press('Enter');
    await expectFocus('#composer-text');
    await page.keyboard.type('see you at');
    await eventually(() => draftOf('bob')).toBe('see you at');
    await page.close();
    page = await openPage(alice, 'popup');
    const bobEntry = page.locator(entryOf('bob'));
    await eventually(() => bobEntry.textContent()).toContain('Draft: see you at');
    expect(await bobEntry.locator('.sr-only').textContent()).toContain('draft: see you at');
    await shot(page, 'keyboard-draft-in-list');
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot(page, 'keyboard-draft-in-list-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await bobEntry.focus();
    await page.keyboard.press('Enter');
    await eventually(() => page.locator('#composer-text').inputValue()).toBe('see you at');
    // Sending drops the draft.
    await page.keyboard.type(' eight');
    await page.keyboard.press('Enter');
    await page.locator('.bubble').filter({ hasText: 'see you at eight' }).waitFor();
    await eventually(() => draftOf('bob')).toBeUndefined();
    expect(await page.locator('#composer-text').inputValue()).toBe('');
    expect(errorsOf(alice, page)).toEqual([]);
    await page.close();
    page = sidePanel;
    expect(await draftOf('carol')).toBe('half a thought');
  });

  it('a message request: Accept keeps the reader in the chat, on the composer that replaces it', async () => {
    const dave = await registerUser(relay.url, 'dave');
    people.push(dave);
    const chat = await dave.client.startConversation('alice');
    await dave.client.sendText({ conversationId: chat.id, text: 'hi, it is dave' });
    await page.locator(entryOf('dave')).waitFor();
    await page.locator(entryOf('dave')).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('log', { name: 'Messages with dave' }).waitFor();
    await tabTo('button:has-text("Accept")', true);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Accept' }).waitFor({ state: 'hidden' });
    await expectFocus('#composer-text');
    expect(errorsOf(alice, page)).toEqual([]);
  });

  it('the side panel showing chat A, asked to show chat B (popup "open in side panel"), shows B’s history, not A’s', async () => {
    page = await openPage(alice, 'sidepanel', page);
    const idOf = (title: string) =>
      page.locator(entryOf(title)).getAttribute('data-conversation-id');
    await page.locator(entryOf('bob')).waitFor();
    const carolId = await idOf('carol');
    expect(carolId).not.toBeNull();
    await page.locator(entryOf('bob')).click();
    const bobLog = page.getByRole('log', { name: 'Messages with bob' });
    await bobLog.locator('.bubble').filter({ hasText: 'hello bob' }).waitFor();
    // The popup's button calls setFocus after opening the panel; the panel follows the event.
    const result = await callWorker(page, 'setFocus', { conversationId: carolId ?? '' });
    expect(result.ok).toBe(true);
    const carolLog = page.getByRole('log', { name: 'Messages with carol' });
    await carolLog.locator('.bubble').filter({ hasText: 'hello carol' }).waitFor();
    await eventually(() => page.locator('.bubble').allTextContents()).not.toContainEqual(
      expect.stringContaining('hello bob'),
    );
    expect(await page.locator('.bubble', { hasText: 'see you at eight' }).count()).toBe(0);
    expect(errorsOf(alice, page)).toEqual([]);
  });
});
