/**
 * Reading a chat in real Chromium, two profiles through a real relay: the
 * history keeps its DOM nodes (and a text selection) while messages come and
 * go; a chat opens at its first unread message with an "N unread messages"
 * divider; only what was shown in the viewport is marked read (the sender
 * sees delivered, not read, for the rest); a message that arrives while the
 * reader is scrolled up waits behind a "new messages" button and is announced
 * once through its own live region; addresses become safe links; arrow keys
 * move between messages (docs/extension.md, "Reading and unread").
 *
 * Waits are on conditions; the stable-rendering check lets 3 s pass on purpose.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayProcess } from '../../edge/testing/relay-process.ts';
import type { MessageView } from '../lib/protocol.ts';
import {
  callWorker,
  errorsOf,
  launchBrowser,
  openPage,
  type ParleyBrowser,
  startRelay,
} from './fixture.ts';
import { bubble, eventually, onboard, openConversation, send, shot, WAIT_MS } from './steps.ts';

let relay: RelayProcess;
let alice: ParleyBrowser;
let bob: ParleyBrowser;
/** Alice's popup (her onboarding tab) and Bob's side panel (his). */
let popup: Page;
let panel: Page;
/** The conversation's id on Alice's side. */
let chatId = '';

beforeAll(async () => {
  [relay, alice, bob] = await Promise.all([startRelay(), launchBrowser(), launchBrowser()]);
  alice.context.setDefaultTimeout(WAIT_MS);
  bob.context.setDefaultTimeout(WAIT_MS);
});

afterAll(async () => {
  await Promise.allSettled([alice?.close(), bob?.close()]);
  await relay?.dispose();
});

async function value<T>(result: Promise<{ ok: true; value: T } | { ok: false }>): Promise<T> {
  const r = await result;
  if (!r.ok) throw new Error(`worker refused: ${JSON.stringify(r)}`);
  return r.value;
}

/** What Alice's worker says about her own message `text` (delivered, read, ...). */
async function aliceState(text: string): Promise<string | undefined> {
  const page = await value(
    callWorker(popup, 'getMessages', { conversationId: chatId, limit: 100 }),
  );
  return page.messages.find((m: MessageView) => m.text === text)?.state;
}

function aliceSends(text: string): Promise<MessageView> {
  return value(callWorker(popup, 'sendText', { conversationId: chatId, text }));
}

const log = (page: Page) => page.getByRole('log');
const jump = (page: Page) => page.locator('.jump-latest');

describe('Reading a chat', () => {
  it('Alice and Bob chat (Bob answers, which accepts her)', async () => {
    const [aliceTab, bobTab] = await Promise.all([
      onboard(alice, relay.url, 'alice'),
      onboard(bob, relay.url, 'bob'),
    ]);
    popup = await openPage(alice, 'popup', aliceTab);
    panel = await openPage(bob, 'sidepanel', bobTab);
    await popup.getByRole('button', { name: 'Start a chat' }).first().click();
    await popup.getByPlaceholder('handle').fill('bob');
    await popup.getByRole('button', { name: 'Chat', exact: true }).click();
    await popup.getByRole('log', { name: 'Messages with bob' }).waitFor();
    await send(popup, 'Hello Bob, select this sentence please.');
    const list = await value(callWorker(popup, 'listConversations'));
    chatId = list[0]?.id ?? '';
    await openConversation(panel, 'alice');
    await send(panel, 'Hi Alice.');
    await bubble(popup, 'Hi Alice.').waitFor();
    await eventually(() => aliceState('Hello Bob, select this sentence please.')).toBe('read');
  });

  it('keeps a message’s DOM node and a selection in it for 3 s while messages arrive', async () => {
    const text = 'Hello Bob, select this sentence please.';
    await popup.evaluate((t) => {
      const item = [...document.querySelectorAll('.messages__item')].find((el) =>
        el.textContent?.includes(t),
      ) as (HTMLElement & { parleyMark?: string }) | undefined;
      if (item === undefined) throw new Error('no row');
      item.parleyMark = 'kept';
      const walker = document.createTreeWalker(item, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
        if (node.textContent === t) {
          const range = document.createRange();
          range.selectNodeContents(node);
          const selection = window.getSelection();
          selection?.removeAllRanges();
          selection?.addRange(range);
          return;
        }
      }
      throw new Error('no text node');
    }, text);
    const started = Date.now();
    // Updates while waiting: a reply arrives, and Alice's own message changes state.
    await send(panel, 'Another one while you select.');
    await aliceSends('And one from Alice’s other window.');
    await bubble(popup, 'Another one while you select.').waitFor();
    await popup.waitForTimeout(Math.max(0, 3_000 - (Date.now() - started)));
    const after = await popup.evaluate((t) => {
      const item = [...document.querySelectorAll('.messages__item')].find((el) =>
        el.textContent?.includes(t),
      ) as (HTMLElement & { parleyMark?: string }) | undefined;
      return { mark: item?.parleyMark, selected: window.getSelection()?.toString() };
    }, text);
    expect(after).toEqual({ mark: 'kept', selected: text });
    expect(errorsOf(alice, popup)).toEqual([]);
  });

  it('opens a chat at the first unread with a divider and marks read only what was shown', async () => {
    await panel.getByRole('button', { name: 'Back to conversations' }).click();
    const bulk = Array.from({ length: 30 }, (_, i) => `Unread number ${i + 1}`);
    for (const text of bulk) await aliceSends(text);
    await panel
      .getByRole('list', { name: 'Conversations' })
      .getByRole('button', { name: /^alice, 30 unread/ })
      .waitFor();
    await eventually(() => aliceState('Unread number 30')).toBe('delivered');

    await openConversation(panel, 'alice');
    const divider = panel.locator('.unread-sep');
    await divider.waitFor();
    expect(await divider.textContent()).toBe('30 unread messages');
    // The divider is in view, near the top of the history.
    const [box, logBox] = await Promise.all([divider.boundingBox(), log(panel).boundingBox()]);
    expect(box && logBox && box.y >= logBox.y && box.y < logBox.y + 120).toBe(true);
    // What is in view gets read; the bottom of the 30 is not shown, so not read.
    await eventually(() => aliceState('Unread number 1')).toBe('read');
    await eventually(() => jump(panel).textContent()).toMatch(/^\d+ new messages?$/);
    const left = Number((await jump(panel).textContent())?.split(' ')[0]);
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(30);
    expect(await aliceState('Unread number 30')).toBe('delivered');
    await shot(panel, 'reading-unread-divider');

    await jump(panel).click();
    await eventually(() => aliceState('Unread number 30')).toBe('read');
    await jump(panel).waitFor({ state: 'detached' });
    expect(await panel.evaluate(() => document.activeElement?.getAttribute('role'))).toBe('log');
    expect(errorsOf(bob, panel)).toEqual([]);
  });

  it('does not read-receipt a message that arrives while the reader is scrolled up', async () => {
    await log(panel).evaluate((el) => {
      el.scrollTop = 0;
    });
    await jump(panel).waitFor();
    const away = 'This arrived while you were scrolled up.';
    await aliceSends(away);
    await eventually(() => jump(panel).textContent()).toBe('1 new message');
    await eventually(() => aliceState(away)).toBe('delivered');
    await shot(panel, 'reading-new-while-scrolled-up');
    await panel.emulateMedia({ colorScheme: 'dark' });
    await shot(panel, 'reading-new-while-scrolled-up-dark');
    await panel.emulateMedia({ colorScheme: 'light' });
    // Long enough for a read receipt to come back if one had been sent.
    await panel.waitForTimeout(2_000);
    expect(await aliceState(away)).toBe('delivered');
    // Announced once, on its own: not the history that rendered while scrolling up.
    expect(await panel.getByTestId('arrivals').textContent()).toBe(`alice: ${away}`);
    expect(await log(panel).getAttribute('aria-live')).toBeNull();

    await jump(panel).click();
    await eventually(() => aliceState(away)).toBe('read');
    expect(errorsOf(bob, panel)).toEqual([]);
  });

  it('shows safe addresses as links and moves between messages with the arrow keys', async () => {
    const text = 'Docs at https://example.org/parley. Not javascript:alert(1) though.';
    await aliceSends(text);
    const link = bubble(panel, 'Docs at').locator('a');
    await link.waitFor();
    expect(await link.count()).toBe(1);
    expect(
      await link.evaluate((a) => [
        a.getAttribute('href'),
        a.textContent,
        a.getAttribute('rel'),
        a.getAttribute('target'),
      ]),
    ).toEqual([
      'https://example.org/parley',
      'https://example.org/parley',
      'noopener noreferrer',
      '_blank',
    ]);

    await log(panel).focus();
    await panel.keyboard.press('ArrowUp');
    const focused = () => panel.evaluate(() => document.activeElement?.textContent ?? '');
    await eventually(focused).toContain('Docs at');
    await panel.keyboard.press('ArrowUp');
    await eventually(focused).toContain('This arrived while you were scrolled up.');
    await panel.keyboard.press('ArrowDown');
    await eventually(focused).toContain('Docs at');
    expect(errorsOf(bob, panel)).toEqual([]);
  });
});
