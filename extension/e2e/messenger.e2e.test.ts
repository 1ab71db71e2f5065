/**
 * Parley as a messenger, end to end, in real Chromium: two browser profiles
 * (two user-data dirs, two browsers) with the built extension, one real relay.
 *
 *  - Both register through the onboarding page with a CDP virtual passkey:
 *    Alice's has PRF (vault unlocked by the passkey), Bob's has none
 *    (passphrase vault). Bob's profile is the one restarted later: CDP can
 *    restore a credential into a new browser but not its PRF secret, so a
 *    PRF vault could not be opened again after a browser restart in a test.
 *  - They write both ways through the popup and the side panel (opened as
 *    tabs: virtual authenticators belong to their tab), see delivered and
 *    read, compare safety numbers, and Alice logs in again with her passkey.
 *  - Bob's browser is closed; Alice writes; Bob's browser starts again on the
 *    same profile: its (locked) worker takes the messages into the sealed
 *    locked inbox, and after unlocking Bob reads them decrypted, in order.
 *  - Finally neither the relay's database nor either profile's IndexedDB
 *    files contain any text that was sent.
 *
 * Waits are on conditions, never fixed sleeps.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayProcess } from '../../edge/testing/relay-process.ts';
import {
  addVirtualAuthenticator,
  errorsOf,
  launchBrowser,
  openPage,
  type ParleyBrowser,
  startRelay,
} from './fixture.ts';
import {
  bubble,
  createPasskeyAndPassphraseVault,
  eventually,
  openConversation,
  send as sendText,
  shot,
  stateOf,
  WAIT_MS,
} from './steps.ts';

const PASSPHRASE = 'correct horse battery staple';
// A fresh relay and fresh profiles per run: plain handles are free.
const ALICE = 'alice';
const BOB = 'bob';

let relay: RelayProcess;
/** The two profiles (user-data dirs), made in beforeAll so a filtered run leaves nothing behind. */
const dirs = { alice: '', bob: '' };
let alice: ParleyBrowser;
let bob: ParleyBrowser;
/** Every text typed into a composer: none may appear on disk. */
const sent: string[] = [];

/** Tabs by role; the onboarding tabs carry the virtual authenticators. */
const tabs: Record<string, Page> = {};

async function launch(dir: string): Promise<ParleyBrowser> {
  const b = await launchBrowser({ userDataDir: dir });
  b.context.setDefaultTimeout(WAIT_MS);
  return b;
}

beforeAll(async () => {
  dirs.alice = mkdtempSync(join(tmpdir(), 'parley-e2e-alice-'));
  dirs.bob = mkdtempSync(join(tmpdir(), 'parley-e2e-bob-'));
  [relay, alice, bob] = await Promise.all([startRelay(), launch(dirs.alice), launch(dirs.bob)]);
});

afterAll(async () => {
  await Promise.allSettled([alice?.close(), bob?.close()]);
  await relay?.dispose();
  for (const dir of Object.values(dirs))
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

function tab(name: string): Page {
  const page = tabs[name];
  if (page === undefined) throw new Error(`no tab ${name}`);
  return page;
}

async function fillOnboarding(page: Page, handle: string): Promise<void> {
  await page.getByLabel('Relay').fill(relay.url);
  await page.getByLabel('Handle').fill(handle);
  await page.getByRole('button', { name: 'Continue' }).click();
}

const fromPopupText = 'opening your contact page';

/** Sends from the composer, and remembers the text for the on-disk check at the end. */
function send(page: Page, text: string): Promise<void> {
  sent.push(text);
  return sendText(page, text);
}

async function safetyNumber(page: Page, handle: string): Promise<string[]> {
  await page
    .getByRole('button', { name: new RegExp(`^${handle}, .*: contact details and safety number$`) })
    .click();
  const grid = page.getByRole('list', { name: 'Safety number, 12 groups of 5 digits' });
  await grid.waitFor();
  return grid.getByRole('listitem').allTextContents();
}

/** Files under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out;
}

/** Which of `needles` occur in any of `files` (UTF-8 or UTF-16LE, as V8 may store strings). */
function found(files: readonly string[], needles: readonly string[]): string[] {
  const contents = files.map((f) => readFileSync(f));
  return needles.filter((n) =>
    contents.some(
      (bytes) =>
        bytes.includes(Buffer.from(n, 'utf8')) || bytes.includes(Buffer.from(n, 'utf16le')),
    ),
  );
}

/** Frames waiting in the worker's locked inbox (IndexedDB `parley`, store `inbox`), read from a page. */
function lockedInboxSize(page: Page): Promise<number> {
  return page.evaluate(`new Promise((resolve, reject) => {
    const open = indexedDB.open('parley');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const count = open.result.transaction('inbox').objectStore('inbox').count();
      count.onsuccess = () => { resolve(count.result); open.result.close(); };
      count.onerror = () => reject(count.error);
    };
  })`);
}

describe('Parley between two browsers, through a real relay', () => {
  it('onboards Alice with a PRF passkey; a cancelled passkey dialog says so and can be retried', async () => {
    const page = await openPage(alice, 'onboarding');
    tabs.aliceOnboarding = page;
    // An authenticator that fails user verification: what a closed dialog looks like to the page.
    const refusing = await addVirtualAuthenticator(page, { userVerified: false });
    await fillOnboarding(page, ALICE);
    await page.getByRole('button', { name: 'Create passkey' }).click();
    await eventually(() => page.getByRole('alert').textContent()).toContain(
      'The passkey dialog was closed',
    );
    // (A virtual authenticator that failed verification refuses from then on: replace it.)
    await refusing.cdp.send('WebAuthn.removeVirtualAuthenticator', {
      authenticatorId: refusing.authenticatorId,
    });
    await addVirtualAuthenticator(page, { prf: true });
    await page.getByRole('button', { name: 'Create passkey' }).click();
    await page.getByRole('heading', { name: `You’re all set, @${ALICE}` }).waitFor();
    expect(errorsOf(alice, page)).toEqual([]);
  });

  it('onboards Bob with a passkey without PRF (passphrase vault); a taken handle is refused clearly', async () => {
    const page = await openPage(bob, 'onboarding');
    tabs.bobOnboarding = page;
    await addVirtualAuthenticator(page, { prf: false });
    await fillOnboarding(page, ALICE);
    // The relay answers options alike for taken and free handles (no existence oracle), so a
    // taken handle is refused once the passkey is verified, and onboarding goes back to it.
    await createPasskeyAndPassphraseVault(page, PASSPHRASE);
    await eventually(() => page.getByRole('alert').textContent()).toBe(
      `@${ALICE} is already taken. Try another handle.`,
    );
    await page.getByLabel('Handle').fill(BOB);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.bringToFront();
    await createPasskeyAndPassphraseVault(page, PASSPHRASE);
    await page.getByRole('heading', { name: `You’re all set, @${BOB}` }).waitFor();
    expect(errorsOf(bob, page)).toEqual([]);
  });

  it('Alice starts a chat from the popup; Bob reads and answers in the side panel (delivered, then read)', async () => {
    // Alice's popup is her onboarding tab (it holds her passkey); Bob's side panel is his.
    const popup = await openPage(alice, 'popup', tab('aliceOnboarding'));
    tabs.alicePopup = popup;
    const panel = await openPage(bob, 'sidepanel', tab('bobOnboarding'));
    tabs.bobPanel = panel;
    await panel.getByRole('heading', { name: 'No conversations yet' }).waitFor();

    await popup.getByRole('heading', { name: 'No conversations yet' }).waitFor();
    await popup.getByRole('button', { name: 'Start a chat' }).first().click();
    await popup.getByPlaceholder('handle').fill('nobody.here');
    await popup.getByRole('button', { name: 'Chat', exact: true }).click();
    await eventually(() => popup.getByRole('alert').textContent()).toBe(
      'Nobody called @nobody.here is on this relay.',
    );
    await popup.getByPlaceholder('handle').fill(BOB);
    await popup.getByRole('button', { name: 'Chat', exact: true }).click();
    await popup.getByRole('log', { name: `Messages with ${BOB}` }).waitFor();

    const hello = 'Hi Bob! Trying Parley from the toolbar popup.';
    await send(popup, hello);
    // Alice is a message request for Bob: nothing comes back before he answers.
    await eventually(() => stateOf(popup, hello)).toBe('Stored on relay');
    const entry = panel
      .getByRole('list', { name: 'Conversations' })
      .getByRole('button', { name: new RegExp(`^${ALICE}, 1 unread`) });
    await entry.waitFor();
    await eventually(() => entry.textContent()).toContain(hello);

    await openConversation(panel, ALICE);
    await bubble(panel, hello).waitFor();
    // Shift+Enter is a new line, Enter sends.
    const field = panel.getByLabel('Message', { exact: true });
    await field.fill('Hey Alice, got it in the side panel.');
    await field.press('Shift+Enter');
    await field.pressSequentially('Enter sends, Shift+Enter makes a new line.');
    const reply =
      'Hey Alice, got it in the side panel.\nEnter sends, Shift+Enter makes a new line.';
    expect(await field.inputValue()).toBe(reply);
    await field.press('Enter');
    sent.push(reply);
    await bubble(panel, 'got it in the side panel').waitFor();
    await bubble(popup, 'got it in the side panel').waitFor();
    expect(await bubble(popup, 'got it in the side panel').textContent()).toContain(reply);

    // Bob answered, which accepts Alice: the receipts held back until then go
    // out, so her first message (which he read before answering) is read too.
    await eventually(() => stateOf(popup, hello)).toBe('Read');
    // Her next message comes back delivered and then read.
    const seen = 'Does the read receipt show up?';
    await send(popup, seen);
    await eventually(() => stateOf(popup, seen)).toBe('Read');
    // Alice's popup shows the conversation too: Bob's reply is read.
    await eventually(() => stateOf(panel, 'got it in the side panel')).toBe('Read');
    await shot(popup, 'messenger-popup-chat');
    await shot(panel, 'messenger-sidepanel-chat');
    expect(errorsOf(alice, popup)).toEqual([]);
    expect(errorsOf(bob, panel)).toEqual([]);
  });

  it('keeps a 100 kB paste whole in the composer and refuses to send it, saying why', async () => {
    const popup = tab('alicePopup');
    const field = popup.getByLabel('Message', { exact: true });
    const long = `${'A long pasted text that goes on and on. '.repeat(2_500)}THE END`; // ~100 kB
    expect(long.length).toBeGreaterThan(100_000);
    await field.focus();
    await popup.keyboard.insertText(long); // what a paste does: one insertion, maxlength applies
    expect((await field.inputValue()).length).toBe(long.length);
    await eventually(() => popup.locator('.composer__limit').textContent()).toMatch(
      /^Too long to send: 100,007 characters, the limit is 16,384\./,
    );
    expect(await popup.getByRole('button', { name: 'Send' }).isDisabled()).toBe(true);
    await field.press('Enter');
    await shot(popup, 'messenger-popup-composer-over-limit');
    expect((await field.inputValue()).length).toBe(long.length);
    expect(await bubble(popup, 'A long pasted text').count()).toBe(0);
    // Shortened to exactly the limit, it goes, whole: its last words arrive.
    const fits = `${long.slice(0, 16_384 - 9)} FITS END`;
    expect(fits.length).toBe(16_384);
    await field.fill(fits);
    expect(await popup.locator('.composer__limit').count()).toBe(0);
    await field.press('Enter');
    await bubble(popup, 'FITS END').waitFor();
    expect(await field.inputValue()).toBe('');
    await bubble(tab('bobPanel'), 'FITS END').waitFor();
    sent.push(fits);
    expect(errorsOf(alice, popup)).toEqual([]);
  });

  it('and the other way round: Alice in the side panel, Bob in the popup', async () => {
    const panel = await openPage(alice, 'sidepanel');
    tabs.alicePanel = panel;
    const popup = await openPage(bob, 'popup');
    tabs.bobPopup = popup;

    // Bob's side panel goes back to its list: nothing of his shows the conversation now.
    await tab('bobPanel').getByRole('button', { name: 'Back to conversations' }).click();
    await openConversation(panel, BOB);
    const fromPanel = 'Now from my side panel: shall we compare safety numbers?';
    await send(panel, fromPanel);
    // Bob's popup shows the list: delivered, not read yet.
    await eventually(() => stateOf(panel, fromPanel)).toBe('Delivered');

    const entry = popup
      .getByRole('list', { name: 'Conversations' })
      .getByRole('button', { name: new RegExp(`^${ALICE}, 1 unread`) });
    await eventually(() => entry.textContent()).toContain(fromPanel);
    await shot(popup, 'messenger-popup-list');
    expect(await stateOf(panel, fromPanel)).toBe('Delivered');
    await openConversation(popup, ALICE);
    // Right after a 16,384-character message: the list still follows the newest one.
    await bubble(popup, fromPanel).waitFor();
    const fromPopup = 'Sure, opening your contact page from my popup.';
    await send(popup, fromPopup);
    await bubble(panel, fromPopup).waitFor();
    await eventually(() => stateOf(panel, fromPanel)).toBe('Read');
    await eventually(() => stateOf(popup, fromPopup)).toBe('Read');
    expect(errorsOf(alice, panel)).toEqual([]);
    expect(errorsOf(bob, popup)).toEqual([]);
  });

  it('both see the same 60-digit safety number; Alice marks Bob verified', async () => {
    const aliceSees = await safetyNumber(tab('alicePanel'), BOB);
    const bobPanel = tab('bobPanel');
    await openConversation(bobPanel, ALICE);
    const bobSees = await safetyNumber(bobPanel, ALICE);
    expect(aliceSees).toHaveLength(12);
    expect(aliceSees.join('')).toMatch(/^\d{60}$/);
    expect(bobSees).toEqual(aliceSees);

    const panel = tab('alicePanel');
    await panel.getByRole('img', { name: `QR code of the safety number with @${BOB}` }).waitFor();
    await panel.getByRole('button', { name: 'Mark as verified' }).click();
    await panel.getByText('Verified', { exact: true }).waitFor();
    await shot(panel, 'messenger-sidepanel-contact');
    await panel.getByRole('button', { name: 'Back to the conversation' }).click();
    // The header's subtitle (the visible text, not the button's sr-only name).
    await panel.locator('.chat-head__sub', { hasText: 'Verified contact' }).waitFor();
    await panel.mouse.move(3, 320);
    await panel.emulateMedia({ colorScheme: 'dark' });
    await shot(panel, 'messenger-sidepanel-chat-dark');
    await panel.emulateMedia({ colorScheme: 'light' });
    await bobPanel.getByRole('button', { name: 'Back to the conversation' }).click();
  });

  it('Alice locks Parley and logs in again with her passkey', async () => {
    const popup = tab('alicePopup');
    await popup.getByRole('button', { name: 'Back to conversations' }).click();
    await popup.getByRole('button', { name: 'Lock Parley' }).click();
    const unlock = popup.getByRole('button', { name: 'Unlock with passkey' });
    await unlock.waitFor();
    await popup.bringToFront();
    await unlock.click();
    await popup.getByRole('list', { name: 'Conversations' }).waitFor();
    const entry = popup
      .getByRole('list', { name: 'Conversations' })
      .getByRole('button', { name: new RegExp(`^${BOB}`) });
    await eventually(() => entry.textContent()).toContain(fromPopupText);
    expect(errorsOf(alice, popup)).toEqual([]);
  });

  it('Bob’s browser is closed while Alice writes; after a restart he reads everything, in order', async () => {
    await bob.close();
    const popup = tab('alicePopup');
    await openConversation(popup, BOB);
    const offline = [1, 2, 3, 4].map((i) => `Sent while your browser was closed (${i} of 4)`);
    for (const text of offline) await send(popup, text);
    for (const text of offline)
      await eventually(() => stateOf(popup, text)).toBe('Stored on relay');

    bob = await launch(dirs.bob);
    const page = await openPage(bob, 'popup');
    const passphrase = page.getByLabel('Passphrase', { exact: true });
    await passphrase.waitFor();
    // Locked, and yet the worker is connected: the messages wait sealed in the locked inbox.
    await eventually(() => lockedInboxSize(page)).toBeGreaterThanOrEqual(offline.length);
    // Still sealed: nothing was decrypted, so no receipt went back yet.
    for (const text of offline) expect(await stateOf(popup, text)).toBe('Stored on relay');

    await passphrase.fill(PASSPHRASE);
    await passphrase.press('Enter');
    const entry = page
      .getByRole('list', { name: 'Conversations' })
      .getByRole('button', { name: new RegExp(`^${ALICE}, 4 unread`) });
    await entry.waitFor();
    // The toolbar badge counts them too.
    await eventually(() => page.evaluate('chrome.action.getBadgeText({})')).toBe('4');
    await shot(page, 'messenger-popup-unread');
    await openConversation(page, ALICE);
    await bubble(page, offline[3] ?? '').waitFor();
    const texts = await page.locator('.bubble-row--in .bubble').allTextContents();
    const order = offline.map((t) => texts.findIndex((x) => x.includes(t)));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(await lockedInboxSize(page)).toBe(0);
    for (const text of offline) await eventually(() => stateOf(popup, text)).toBe('Read');
    await eventually(() => page.evaluate('chrome.action.getBadgeText({})')).toBe('');
    expect(errorsOf(bob, page)).toEqual([]);
  });

  it('says when the relay is unreachable in every view, with Retry now, and recovers by itself within seconds', async () => {
    const popup = tab('alicePopup');
    await popup.getByRole('button', { name: 'Back to conversations' }).click();
    await openConversation(popup, BOB);
    await relay.stop();
    const bar = popup.locator('.conn-bar');
    await eventually(() => bar.getByRole('status').textContent()).toBe('Relay unreachable');
    await eventually(() => bar.textContent()).toMatch(
      /^Relay unreachable — retrying (in \d+ s|now)Retry now$/,
    );
    // Presence is unknown while disconnected: no "online", no green dot.
    await eventually(() => popup.locator('.chat-head__sub').textContent()).not.toBe('online');
    expect(await popup.locator('.chat-head .avatar__online').count()).toBe(0);
    await shot(popup, 'messenger-popup-relay-unreachable');
    await popup.getByRole('button', { name: 'Back to conversations' }).click();
    await eventually(() => bar.getByRole('status').textContent()).toBe('Relay unreachable');

    // A relay that was just reachable is retried every few seconds (with jitter):
    // the bound is generous, the time is printed for the docs.
    await relay.restart();
    const restarted = Date.now();
    await eventually(() => bar.count(), 30_000).toBe(0);
    const tookMs = Date.now() - restarted;
    console.log(`extension reconnected ${(tookMs / 1000).toFixed(1)} s after the relay restarted`);
    expect(tookMs).toBeLessThan(15_000);
    await openConversation(popup, BOB);
    const back = 'The relay is back.';
    await send(popup, back);
    await eventually(() => stateOf(popup, back)).toMatch(/Stored on relay|Delivered|Read/);
    expect(alice.workerLog).toEqual([]);
    expect(bob.workerLog).toEqual([]);
  });

  it('leaves no plaintext in the relay database or in either profile’s IndexedDB files', async () => {
    await Promise.all([alice.close(), bob.close()]);
    expect(sent.length).toBeGreaterThanOrEqual(9);
    const relayFiles = [relay.dbPath, `${relay.dbPath}-wal`].filter((p) => {
      try {
        return statSync(p).isFile();
      } catch {
        return false;
      }
    });
    expect(relayFiles.length).toBeGreaterThan(0);
    expect(found(relayFiles, sent)).toEqual([]);

    for (const [name, dir] of Object.entries(dirs)) {
      const files = filesUnder(join(dir, 'Default', 'IndexedDB'));
      expect(files.some((f) => f.includes('chrome-extension_'))).toBe(true);
      // The scan does see what the worker stores in the clear (the lock screen's handle)...
      expect(found(files, [name === 'alice' ? ALICE : BOB])).toHaveLength(1);
      // ...and none of the messages.
      expect(found(files, sent)).toEqual([]);
      const words = sent.flatMap((t) => t.split(/\s+/)).filter((w) => w.length >= 8);
      expect(found(files, words)).toEqual([]);
    }
  });
});
