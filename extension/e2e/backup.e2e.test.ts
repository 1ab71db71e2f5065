/**
 * Encrypted backup and restore end to end, in real Chromium (docs/extension.md,
 * "Backups"): three profiles and one real relay.
 *
 *  - A registers (PRF passkey) and chats 1:1 with B; both see the same safety
 *    number and A marks B verified. A creates a group with B; both write in it.
 *  - A turns backups on in Settings: the recovery key is shown once in groups
 *    of four; after "I have saved it" the first snapshot goes to the relay,
 *    "Back up now" makes the second; "Show recovery key again" (passkey UV)
 *    shows the same key; "Download backup file" saves a `.parleybackup`.
 *  - C is a fresh profile holding only A's passkey (copied into its virtual
 *    authenticator: the stand-in for a synced passkey). "Restore from a
 *    backup": a one-character typo is caught before any request; another
 *    (valid) key gets the relay's no-backup-for-this-key message; with the
 *    file, another key gets the wrong-key message and a flipped byte the
 *    damaged-file message (A is still connected, so each file attempt first
 *    shows the "still active on another device" notice; "Restore anyway"
 *    goes on); the right key from the relay, typed in lower case with
 *    dashes, is accepted, the notice points to linking (focus on its
 *    heading; "Restore anyway" continues), then the relay's two snapshots
 *    are listed (newest first and chosen, a radio group) and the newest is
 *    restored: C shows the history, B
 *    still verified, the same safety number B shows for A; C writes and B
 *    receives it; the group and its history are on C, and group messages go
 *    both ways between C and B.
 *  - axe-core on the new screens, light and dark; screenshots in
 *    test-results/backup-*.png.
 *
 * Waits are on conditions, never fixed sleeps.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayProcess } from '../../edge/testing/relay-process.ts';
import { formatRecoveryKey } from '../../shared/backup/recovery-key.ts';
import { auditThemes } from './axe.ts';
import {
  errorsOf,
  openPage,
  type ParleyBrowser,
  RESULTS_DIR,
  type VirtualAuthenticator,
} from './fixture.ts';
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
  eventually,
  exchangeMessages,
  focusedTagAndText,
  onboard,
  onboardKeepingPasskey,
  openBackupSettings,
  openConversation,
  openRestoreForm,
  removeOtherDevicesOption,
  restoreAnyway,
  send,
  shot,
  snapshotListHeading,
  startChat,
  stillActiveNotice,
  submitRestoreForm,
} from './steps.ts';

const PASSPHRASE = 'correct horse battery staple';
const HISTORY = [
  { from: 'b', text: 'Before the backup: hello from Bob' },
  { from: 'a', text: 'Before the backup: Alice answers' },
] as const;
const GROUP = 'Backup club';
const GROUP_HISTORY = [
  { from: 'a', text: 'Group before the backup: Alice' },
  { from: 'b', text: 'Group before the backup: Bob' },
] as const;

let relay: RelayProcess;
let a: ParleyBrowser;
let b: ParleyBrowser;
let c: ParleyBrowser;
let aPasskey: VirtualAuthenticator;
const { tabs, tab } = namedTabs();
let recoveryKey = '';
let backupFile: Uint8Array = new Uint8Array(0);
let bobSeesAlice: string[] = [];
let aliceSeesBob: string[] = [];

async function safetyNumber(page: Page, handle: string): Promise<string[]> {
  await page
    .getByRole('button', { name: new RegExp(`^${handle}, .*: contact details and safety number$`) })
    .click();
  const grid = page.getByRole('list', { name: 'Safety number, 12 groups of 5 digits' });
  await grid.waitFor();
  return grid.getByRole('listitem').allTextContents();
}

/**
 * The notice that another device of the account is still active (A is
 * connected): its heading takes focus, it says when A was last active and
 * offers linking first; "Restore anyway" goes on.
 */
async function passStillActiveNotice(page: Page, screenshot?: string): Promise<void> {
  const notice = await stillActiveNotice(page, STEP_MS);
  expect(await notice.locator('p').textContent()).toMatch(
    /^Your account is still active on another device \(last active (just now|\d+ minutes? ago)\)\. Linking this browser from that device keeps everything, including messages since the last backup\.$/,
  );
  await page.getByRole('button', { name: 'Link this browser instead' }).waitFor();
  if (screenshot !== undefined) {
    await shot(page, screenshot);
    expect(await auditThemes(page)).toEqual([]);
  }
  await restoreAnyway(page);
}

/** Fills the restore form as Alice with `recoveryKey` and submits it. */
function submitRestore(page: Page, recoveryKey: string): Promise<void> {
  return submitRestoreForm(page, {
    relayUrl: relay.url,
    handle: 'alice',
    passphrase: PASSPHRASE,
    recoveryKey,
  });
}

beforeAll(async () => {
  [relay, a, b, c] = await startRelayAndThreeBrowsers();
}, 600_000);

afterAll(() => stopRelayAndBrowsers(relay, [a, b, c]));

describe('backing up an account and restoring it in a fresh browser', {
  timeout: 10 * STEP_MS,
}, () => {
  it('A and B register and chat; both see one safety number; A marks B verified', async () => {
    const registered = await onboardKeepingPasskey(a, relay.url, 'alice');
    aPasskey = registered.passkey;
    tabs.a = registered.page;
    tabs.b = await onboard(b, relay.url, 'bob');
    const bPanel = await openPage(b, 'sidepanel', tab('b'));
    tabs.b = bPanel;
    await startChat(bPanel, 'alice');
    const aPanel = await openPage(a, 'sidepanel', tab('a'));
    tabs.a = aPanel;
    await exchangeMessages(
      { name: 'b', panel: bPanel, handle: 'bob' },
      { name: 'a', panel: aPanel },
      HISTORY,
    );
    aliceSeesBob = await safetyNumber(aPanel, 'bob');
    bobSeesAlice = await safetyNumber(bPanel, 'alice');
    expect(aliceSeesBob.join('')).toMatch(/^\d{60}$/);
    expect(bobSeesAlice).toEqual(aliceSeesBob);
    await aPanel.getByRole('button', { name: 'Mark as verified' }).click();
    await aPanel.getByText('Verified', { exact: true }).waitFor();
    await aPanel.getByRole('button', { name: 'Back to the conversation' }).click();
    await bPanel.getByRole('button', { name: 'Back to the conversation' }).click();
  });

  it('A creates a group with B before the backup; both write in it', async () => {
    const aPanel = tab('a');
    const bPanel = tab('b');
    await aPanel.getByRole('button', { name: 'Back to conversations' }).click();
    await aPanel.getByRole('button', { name: 'Start a chat' }).first().click();
    await aPanel.getByRole('button', { name: 'Group', exact: true }).click();
    await aPanel.getByLabel('Group name').fill(GROUP);
    await aPanel.getByLabel('Members').fill('@bob');
    await aPanel.getByRole('button', { name: 'Create', exact: true }).click();
    await aPanel.getByRole('log', { name: `Messages with ${GROUP}` }).waitFor();
    await bPanel.getByRole('button', { name: 'Back to conversations' }).click();
    // Added by a contact B accepted: a conversation at once, not a request.
    await bPanel
      .getByRole('list', { name: 'Conversations' })
      .getByRole('button', { name: new RegExp(`^${GROUP}, group\\b`) })
      .waitFor({ timeout: STEP_MS });
    await openConversation(bPanel, GROUP);
    await bPanel.getByLabel('Message', { exact: true }).waitFor();
    for (const m of GROUP_HISTORY) {
      const [from, to] = m.from === 'a' ? [aPanel, bPanel] : [bPanel, aPanel];
      await send(from, m.text);
      await bubble(to, m.text).waitFor({ timeout: STEP_MS });
    }
  });

  it('A turns backups on: the key once, in groups, then the first snapshot; Back up now makes the second', async () => {
    const panel = tab('a');
    await panel.getByRole('button', { name: 'Back to conversations' }).click();
    await openBackupSettings(panel);
    // By keyboard: the switch is a real (visually hidden) checkbox.
    await panel.getByRole('switch', { name: 'Encrypted backups' }).focus();
    await panel.keyboard.press('Space');
    const heading = panel.getByRole('heading', { name: 'Your recovery key' });
    await heading.waitFor();
    await eventually(() => focusedTagAndText(panel)).toBe('H3 Your recovery key');
    const groups = await panel
      .locator('[data-recovery-key] .recovery-key__group')
      .allTextContents();
    expect(groups).toHaveLength(14);
    for (const g of groups) expect(g).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}$/);
    recoveryKey = groups.join(' ');
    await heading.scrollIntoViewIfNeeded();
    await shot(panel, 'backup-1-recovery-key');
    expect(await auditThemes(panel)).toEqual([]);
    // Done waits for the confirmation.
    await panel.getByRole('button', { name: 'Done' }).click({ force: true });
    await expect.poll(() => heading.count()).toBe(1);
    await panel.getByLabel('I have saved my recovery key somewhere safe').check();
    await panel.getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => heading.count()).toBe(0);
    const status = panel.locator('[data-backup-status]');
    await eventually(() => status.textContent(), STEP_MS).toContain('(snapshot 1)');
    await panel.getByRole('button', { name: 'Back up now' }).click();
    await eventually(() => status.textContent(), STEP_MS).toContain('(snapshot 2)');
    await status.scrollIntoViewIfNeeded();
    await shot(panel, 'backup-2-settings');
    expect(await auditThemes(panel)).toEqual([]);

    // The key again, after a fresh passkey verification.
    await panel.getByRole('button', { name: 'Show recovery key again' }).click();
    await heading.waitFor();
    expect(
      (await panel.locator('[data-recovery-key] .recovery-key__group').allTextContents()).join(' '),
    ).toBe(recoveryKey);
    await panel.getByLabel('I have saved my recovery key somewhere safe').check();
    await panel.getByRole('button', { name: 'Done' }).click();

    const downloading = panel.waitForEvent('download');
    await panel.getByRole('button', { name: 'Download backup file' }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toMatch(/^parley-alice-\d{4}-\d{2}-\d{2}\.parleybackup$/);
    backupFile = readFileSync(await download.path());
    expect(backupFile.length).toBeGreaterThan(100);

    // Turning off asks first (the relay's copies would go); keeping changes nothing.
    await panel.getByRole('switch', { name: 'Encrypted backups' }).focus();
    await panel.keyboard.press('Space');
    await panel.getByRole('button', { name: 'Turn off and delete backups' }).waitFor();
    await panel.getByRole('button', { name: 'Keep backups' }).click();
    await eventually(() => status.textContent()).toContain('(snapshot 2)');
    expect(errorsOf(a, panel)).toEqual([]);
  });

  it('C, a fresh browser with A’s passkey: a typo is caught offline; a wrong key and a damaged file are told apart', async () => {
    const page = await openPage(c, 'onboarding');
    tabs.c = page;
    await addCopiedPasskey(page, aPasskey, { prf: false });

    await openRestoreForm(page);
    // The view's heading, not the choice button that opened it.
    await eventually(() => focusedTagAndText(page)).toBe('H2 Restore from a backup');
    await shot(page, 'backup-3-restore-form');
    expect(await auditThemes(page)).toEqual([]);

    // One character off: the checksum says so, and no request leaves the page.
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    const last = recoveryKey.at(-2) === 'A' ? 'B' : 'A';
    const typo = `${recoveryKey.slice(0, -2)}${last}${recoveryKey.slice(-1)}`;
    await submitRestore(page, typo);
    await eventually(() => page.locator('#restore-key-error').textContent()).toContain('typo');
    expect(requests.filter((u) => u.startsWith(relay.url))).toEqual([]);

    // A valid key that is not Alice's: the relay has nothing under it.
    const other = formatRecoveryKey(crypto.getRandomValues(new Uint8Array(32)));
    await submitRestore(page, other);
    const error = page.locator('[data-restore-error]');
    await eventually(() => error.textContent(), STEP_MS).toContain(
      'The relay has no backup of this account for this recovery key',
    );
    await shot(page, 'backup-4-restore-wrong-key');
    expect(await auditThemes(page)).toEqual([]);

    // The backup file: another key does not open it; a flipped byte is damage, not a wrong key.
    const good = join(RESULTS_DIR, 'backup-alice.parleybackup');
    const bad = join(RESULTS_DIR, 'backup-alice-damaged.parleybackup');
    writeFileSync(good, backupFile);
    const flipped = Uint8Array.from(backupFile);
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] ?? 0) ^ 1;
    writeFileSync(bad, flipped);
    const fileInput = page.getByLabel('Backup file (optional)');
    await fileInput.setInputFiles(good);
    await submitRestore(page, other);
    await passStillActiveNotice(page);
    await eventually(() => error.textContent(), STEP_MS).toContain(
      'This recovery key does not open this backup',
    );
    await fileInput.setInputFiles(bad);
    await submitRestore(page, recoveryKey);
    await passStillActiveNotice(page);
    await eventually(() => error.textContent(), STEP_MS).toContain('The backup is damaged');
    await shot(page, 'backup-4b-restore-damaged-file');
    await fileInput.setInputFiles([]);
  });

  it('C restores with the right key (lower case, dashes): history, B verified, same safety number', async () => {
    const page = tab('c');
    await submitRestore(page, recoveryKey.toLowerCase().replace(/ /g, '-'));
    // A is connected: the key is accepted, then the notice points to linking first.
    await passStillActiveNotice(page, 'backup-4c0-restore-still-active');
    // The relay's two snapshots, newest first and chosen; focus on the list's heading.
    await snapshotListHeading(page).waitFor({ timeout: STEP_MS });
    await eventually(() => focusedTagAndText(page)).toBe('H3 Choose a backup');
    const radios = page.getByRole('radiogroup', { name: 'Choose a backup' }).getByRole('radio');
    const labels = await page.locator('.snapshot-choice label').allTextContents();
    expect(labels.map((l) => l.replace(/,.*\((newest)\)$/, ' $1').replace(/,.*$/, ''))).toEqual([
      'Backup 2 newest',
      'Backup 1',
    ]);
    expect(await radios.nth(0).isChecked()).toBe(true);
    // By keyboard: arrows move the choice; back to the newest.
    await radios.nth(0).focus();
    await page.keyboard.press('ArrowDown');
    expect(await radios.nth(1).isChecked()).toBe(true);
    await page.keyboard.press('ArrowUp');
    expect(await radios.nth(0).isChecked()).toBe(true);
    expect(await removeOtherDevicesOption(page).isChecked()).toBe(false);
    await shot(page, 'backup-4c-restore-choose');
    expect(await auditThemes(page)).toEqual([]);
    await confirmRestore(page, 'alice', 2 * STEP_MS);
    await shot(page, 'backup-5-restored');
    expect(errorsOf(c, page)).toEqual([]);

    const panel = await openPage(c, 'sidepanel', page);
    tabs.c = panel;
    await openConversation(panel, 'bob');
    for (const m of HISTORY) await bubble(panel, m.text).waitFor();
    for (const m of HISTORY) expect(await bubble(panel, m.text).count()).toBe(1);
    await panel.locator('.chat-head__sub', { hasText: 'Verified contact' }).waitFor();
    await shot(panel, 'backup-6-restored-history');
    expect(await safetyNumber(panel, 'bob')).toEqual(aliceSeesBob);
    await panel.getByRole('button', { name: 'Back to the conversation' }).click();
    // B: the same number for Alice as before (a new device of the same account).
    const bPanel = tab('b');
    await bPanel.getByRole('button', { name: 'Back to conversations' }).click();
    await openConversation(bPanel, 'alice');
    expect(await safetyNumber(bPanel, 'alice')).toEqual(bobSeesAlice);
    await bPanel.getByRole('button', { name: 'Back to the conversation' }).click();
  });

  it('C writes and B receives it', async () => {
    const text = 'Written on the restored browser';
    await send(tab('c'), text);
    await bubble(tab('b'), text).waitFor({ timeout: STEP_MS });
    expect(errorsOf(c, tab('c'))).toEqual([]);
    expect(errorsOf(b, tab('b'))).toEqual([]);
  });

  it('the group and its history are on C; group messages go from C to B and from B to C', async () => {
    const cPanel = tab('c');
    const bPanel = tab('b');
    await cPanel.getByRole('button', { name: 'Back to conversations' }).click();
    await openConversation(cPanel, GROUP);
    // The list renders after the view opens: wait for the rows, then count them.
    for (const m of GROUP_HISTORY) await bubble(cPanel, m.text).waitFor();
    for (const m of GROUP_HISTORY) expect(await bubble(cPanel, m.text).count()).toBe(1);
    await shot(cPanel, 'backup-7-restored-group');
    const fromC = 'Group, written on the restored browser';
    await send(cPanel, fromC);
    await bPanel.getByRole('button', { name: 'Back to conversations' }).click();
    await openConversation(bPanel, GROUP);
    await bubble(bPanel, fromC).waitFor({ timeout: STEP_MS });
    const fromB = 'Group, Bob answers the restored browser';
    await send(bPanel, fromB);
    await bubble(cPanel, fromB).waitFor({ timeout: STEP_MS });
    expect(errorsOf(c, cPanel)).toEqual([]);
    expect(errorsOf(b, bPanel)).toEqual([]);
  });
});
