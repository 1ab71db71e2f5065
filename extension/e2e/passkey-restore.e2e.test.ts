/**
 * Restoring with the passkey instead of typing the recovery key, in real
 * Chromium (docs/extension.md, "Backups"): one relay, two browsers.
 *
 *  - A registers (PRF passkey), turns backups on (first snapshot), then
 *    Settings → Backups → "Let my passkey restore backups": a passkey
 *    verification with the PRF; the relay now keeps the recovery key wrapped
 *    by that passkey.
 *  - C is a fresh browser holding A's passkey copied into its virtual
 *    authenticator (WebAuthn.getCredentials / addCredential). Chromium does
 *    not carry a credential's PRF secret through addCredential (fixture.ts),
 *    so there the passkey answers without a PRF output: "Use my passkey"
 *    stops with the PRF-unsupported sentence, nothing restored.
 *  - So the same-passkey restore runs where the PRF secret lives: A's
 *    browser after the extension's data is wiped and its worker stopped (a
 *    reinstall as far as Parley can tell), in the same tab whose virtual
 *    authenticator holds the passkey. "Use my passkey": relay, handle and passphrase only, no key
 *    typed; the snapshot list comes up as after typing the key, and the
 *    restore makes this browser a device of @alice again.
 *  - Screenshots of the switch and the restore choice (test-results/passkey-restore-*.png),
 *    axe in light and dark.
 *
 * Waits are on conditions, never fixed sleeps.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayProcess } from '../../edge/testing/relay-process.ts';
import { auditThemes } from './axe.ts';
import {
  ensureBuilt,
  errorsOf,
  launchBrowser,
  openPage,
  type ParleyBrowser,
  startRelay,
  type VirtualAuthenticator,
} from './fixture.ts';
import {
  addCopiedPasskey,
  confirmRestore,
  eventually,
  fillRestoreForm,
  onboardKeepingPasskey,
  openBackupSettings,
  openRestoreForm,
  pressRestore,
  restoreAnyway,
  shot,
  snapshotListHeading,
  stillActiveNotice,
  turnBackupsOn,
  WAIT_MS,
} from './steps.ts';

const PASSPHRASE = 'correct horse battery staple';
const SWITCH = 'Let my passkey restore backups (no need to type the recovery key)';
const STEP_MS = 3 * WAIT_MS;

let relay: RelayProcess;
let a: ParleyBrowser;
let c: ParleyBrowser;
let aTab: Page;
let aPasskey: VirtualAuthenticator;

async function launch(): Promise<ParleyBrowser> {
  const browser = await launchBrowser();
  browser.context.setDefaultTimeout(STEP_MS);
  return browser;
}

/** "Restore from a backup" → "Use my passkey", the other fields, Restore. */
async function restoreByPasskey(page: Page, shotName?: string): Promise<void> {
  await openRestoreForm(page);
  await page.getByRole('button', { name: 'Use my passkey instead of typing the key' }).click();
  await page.getByRole('button', { name: 'Type the recovery key instead' }).waitFor();
  expect(await page.getByLabel('Recovery key').count()).toBe(0);
  await fillRestoreForm(page, { relayUrl: relay.url, handle: 'alice', passphrase: PASSPHRASE });
  if (shotName !== undefined) {
    await shot(page, shotName);
    expect(await auditThemes(page)).toEqual([]);
  }
  await pressRestore(page);
}

/**
 * A reinstall of the extension in the same browser, as far as Parley can
 * tell: its IndexedDB (vault, account, keys, history) and session storage
 * cleared and its service worker stopped, so the next page message starts
 * it with nothing. The tab stays on the extension's origin throughout: the
 * virtual authenticator that holds the passkey and its PRF secret lives with
 * it (a navigation to another origin, or an extension reload that closes the
 * tab, loses it).
 */
async function reinstall(browser: ParleyBrowser, tab: Page, passkey: VirtualAuthenticator) {
  // The authenticator's own CDP session: detaching any other session of this
  // tab turns its virtual authenticator environment off.
  const { cdp } = passkey;
  await tab.evaluate('chrome.storage.session.clear()');
  await cdp.send('Storage.clearDataForOrigin', {
    origin: `chrome-extension://${browser.extensionId}`,
    storageTypes: 'indexeddb',
  });
  await cdp.send('ServiceWorker.enable');
  await cdp.send('ServiceWorker.stopAllWorkers');
  await cdp.send('ServiceWorker.disable');
}

beforeAll(async () => {
  ensureBuilt();
  [relay, a, c] = await Promise.all([startRelay(), launch(), launch()]);
}, 600_000);

afterAll(async () => {
  await Promise.allSettled([a?.close(), c?.close()]);
  await relay?.dispose();
});

describe('restoring with the passkey instead of the recovery key', {
  timeout: 10 * STEP_MS,
}, () => {
  it('A registers, turns backups on, and lets the passkey restore them', async () => {
    ({ page: aTab, passkey: aPasskey } = await onboardKeepingPasskey(a, relay.url, 'alice'));

    const panel = await openPage(a, 'sidepanel', aTab);
    await openBackupSettings(panel);
    await turnBackupsOn(panel, STEP_MS);

    const passkeySwitch = panel.getByRole('switch', { name: SWITCH });
    expect(await passkeySwitch.isChecked()).toBe(false);
    await passkeySwitch.focus();
    await panel.keyboard.press('Space');
    await eventually(() => passkeySwitch.isChecked(), STEP_MS).toBe(true);
    await panel.locator('[data-passkey-restore]').scrollIntoViewIfNeeded();
    await shot(panel, 'passkey-restore-1-switch');
    expect(await auditThemes(panel)).toEqual([]);
    expect(errorsOf(a, panel)).toEqual([]);
  });

  it('C, a fresh browser with a copy of the passkey but not its PRF secret: told to type the key', async () => {
    const page = await openPage(c, 'onboarding');
    await addCopiedPasskey(page, aPasskey, { prf: true });
    await restoreByPasskey(page, 'passkey-restore-2-restore-choice');
    await eventually(() => page.locator('[data-restore-error]').textContent(), STEP_MS).toContain(
      'This passkey or browser cannot restore backups by itself',
    );
    await shot(page, 'passkey-restore-3-no-prf');
  });

  it('A’s browser, reinstalled: the same passkey restores without typing the key', async () => {
    await reinstall(a, aTab, aPasskey);
    const page = await openPage(a, 'onboarding', aTab);
    await restoreByPasskey(page);
    // A's old registration connected minutes ago, so the still-active notice comes first
    // (docs/extension.md, "Backups"); here the old browser is this one, so restore anyway.
    await stillActiveNotice(page, STEP_MS);
    await restoreAnyway(page);
    // The snapshot list, or the error line (its sentence says why in the failure).
    const choose = snapshotListHeading(page);
    await choose
      .or(page.locator('[data-restore-error]'))
      .first()
      .waitFor({ timeout: STEP_MS })
      .catch(async (e: unknown) => {
        await shot(page, 'passkey-restore-4-stuck');
        const creds = await aPasskey.cdp
          .send('WebAuthn.getCredentials', { authenticatorId: aPasskey.authenticatorId })
          .then(
            (r) => r.credentials.length,
            (x: unknown) => String(x),
          );
        throw new Error(
          `stuck: ${String(e)}; worker log ${JSON.stringify(a.workerLog)}; page ${JSON.stringify(errorsOf(a, page))}; credentials ${creds}`,
        );
      });
    if ((await choose.count()) === 0) {
      await shot(page, 'passkey-restore-4-failed');
      throw new Error(
        `restore stopped: ${await page.locator('[data-restore-error]').textContent()}`,
      );
    }
    const labels = await page.locator('.snapshot-choice label').allTextContents();
    expect(labels).toHaveLength(1);
    expect(labels[0]).toMatch(/^Backup 1/);
    await shot(page, 'passkey-restore-4-choose');
    await confirmRestore(page, 'alice', 2 * STEP_MS);
    await shot(page, 'passkey-restore-5-restored');
    expect(errorsOf(a, page)).toEqual([]);
  });
});
