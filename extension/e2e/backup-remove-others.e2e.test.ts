/**
 * Restoring with "Also remove my other devices" in real Chromium
 * (docs/extension.md, "Backups"): three profiles and one real relay.
 *
 *  - A registers and chats with B; A turns backups on (the first snapshot).
 *  - C, a fresh profile holding only A's passkey (the stand-in for a synced
 *    passkey), restores from the relay with the key. A is still connected, so
 *    the notice points to linking first; "Restore anyway", then the snapshot
 *    with "Also remove my other devices" checked. "Link this browser instead"
 *    switches onboarding to linking; back on the restore, the notice is
 *    passed by keyboard.
 *  - A is unlinked: it shows the removed screen and its records are wiped.
 *  - C still chats with B: a message each way.
 *  - Screenshots in test-results/backup-remove-others-*.png.
 *
 * Waits are on conditions, never fixed sleeps.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayProcess } from '../../edge/testing/relay-process.ts';
import { auditThemes } from './axe.ts';
import { errorsOf, openPage, type ParleyBrowser, type VirtualAuthenticator } from './fixture.ts';
import {
  namedTabs,
  STEP_MS,
  startRelayAndThreeBrowsers,
  stopRelayAndBrowsers,
} from './multi-browser.ts';
import {
  addCopiedPasskey,
  bubble,
  confirmRestore,
  focusedTagAndText,
  onboard,
  onboardKeepingPasskey,
  openBackupSettings,
  openConversation,
  openRestoreForm,
  removeOtherDevicesOption,
  send,
  shot,
  snapshotListHeading,
  startChat,
  stillActiveNotice,
  submitRestoreForm,
  turnBackupsOn,
} from './steps.ts';

const PASSPHRASE = 'correct horse battery staple';

let relay: RelayProcess;
let a: ParleyBrowser;
let b: ParleyBrowser;
let c: ParleyBrowser;
let aPasskey: VirtualAuthenticator;
const { tabs, tab } = namedTabs();
let recoveryKey = '';

/** Opens "Restore from a backup", fills it with A's key and submits it. */
async function submitRestore(page: Page): Promise<void> {
  await openRestoreForm(page);
  await submitRestoreForm(page, {
    relayUrl: relay.url,
    handle: 'alice',
    passphrase: PASSPHRASE,
    recoveryKey,
  });
}

/** The records left in the extension's store, read in the page. */
function storedRecords(page: Page): Promise<number> {
  return page.evaluate(
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
}

beforeAll(async () => {
  [relay, a, b, c] = await startRelayAndThreeBrowsers();
}, 600_000);

afterAll(() => stopRelayAndBrowsers(relay, [a, b, c]));

describe('restoring with "remove my other devices"', { timeout: 10 * STEP_MS }, () => {
  it('A registers and chats with B, then turns backups on', async () => {
    const { page: onboarding, passkey } = await onboardKeepingPasskey(a, relay.url, 'alice');
    aPasskey = passkey;
    const bOnboarding = await onboard(b, relay.url, 'bob');
    const bPanel = await openPage(b, 'sidepanel', bOnboarding);
    tabs.b = bPanel;
    await startChat(bPanel, 'alice');
    const aPanel = await openPage(a, 'sidepanel', onboarding);
    tabs.a = aPanel;
    await send(bPanel, 'Bob, before the backup');
    await openConversation(aPanel, 'bob');
    await bubble(aPanel, 'Bob, before the backup').waitFor();
    await send(aPanel, 'Alice, before the backup');
    await bubble(bPanel, 'Alice, before the backup').waitFor();

    await aPanel.getByRole('button', { name: 'Back to conversations' }).click();
    await openBackupSettings(aPanel);
    recoveryKey = await turnBackupsOn(aPanel, STEP_MS);
  });

  it('C restores with "Also remove my other devices" after the still-active notice', async () => {
    const page = await openPage(c, 'onboarding');
    tabs.c = page;
    await addCopiedPasskey(page, aPasskey, { prf: false });
    await submitRestore(page);

    // A is connected: the notice first, focus on its heading, linking as the primary action.
    const notice = await stillActiveNotice(page, STEP_MS);
    expect(await notice.locator('p').textContent()).toContain(
      'Your account is still active on another device (last active ',
    );
    await shot(page, 'backup-remove-others-1-still-active');
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot(page, 'backup-remove-others-1b-still-active-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    expect(await auditThemes(page)).toEqual([]);
    // The primary action switches onboarding to linking.
    await page.getByRole('button', { name: 'Link this browser instead' }).click();
    await page.getByRole('heading', { name: 'Link to an existing account' }).waitFor();
    expect(await page.locator('[data-restore-alive]').count()).toBe(0);

    // Back to the restore: the notice again, this time passed by keyboard.
    await submitRestore(page);
    await stillActiveNotice(page, STEP_MS);
    // By keyboard: Tab from the heading reaches "Link this browser instead", then "Restore anyway".
    await page.keyboard.press('Tab');
    expect(await focusedTagAndText(page)).toBe('BUTTON Link this browser instead');
    await page.keyboard.press('Tab');
    expect(await focusedTagAndText(page)).toBe('BUTTON Restore anyway');
    await page.keyboard.press('Enter');

    await snapshotListHeading(page).waitFor({ timeout: STEP_MS });
    await removeOtherDevicesOption(page).check();
    await shot(page, 'backup-remove-others-2-choose');
    await confirmRestore(page, 'alice', 2 * STEP_MS);
    expect(errorsOf(c, page)).toEqual([]);
  });

  it('A is unlinked: the removed screen, its records wiped', async () => {
    const aPanel = tab('a');
    await aPanel
      .getByRole('heading', { name: 'This browser was removed from your Parley account' })
      .waitFor({ timeout: 60_000 });
    await shot(aPanel, 'backup-remove-others-3-old-removed');
    expect(await storedRecords(aPanel)).toBe(0);
  });

  it('C still chats with B both ways', async () => {
    const panel = await openPage(c, 'sidepanel', tab('c'));
    tabs.c = panel;
    await openConversation(panel, 'bob');
    await bubble(panel, 'Bob, before the backup').waitFor();
    const fromC = 'Written on the restored browser';
    await send(panel, fromC);
    await bubble(tab('b'), fromC).waitFor({ timeout: STEP_MS });
    const fromB = 'Bob answers the restored browser';
    await send(tab('b'), fromB);
    await bubble(panel, fromB).waitFor({ timeout: STEP_MS });
    await shot(panel, 'backup-remove-others-4-chat');
    expect(errorsOf(c, panel)).toEqual([]);
    expect(errorsOf(b, tab('b'))).toEqual([]);
  });
});
