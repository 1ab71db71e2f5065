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
  addVirtualAuthenticator,
  ensureBuilt,
  errorsOf,
  launchBrowser,
  openPage,
  type ParleyBrowser,
  startRelay,
  type VirtualAuthenticator,
} from './fixture.ts';
import { eventually, shot, WAIT_MS } from './steps.ts';

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
  await page.getByRole('button', { name: 'Restore from a backup' }).click();
  await page.getByRole('heading', { name: 'Restore from a backup' }).waitFor();
  await page.getByRole('button', { name: 'Use my passkey instead of typing the key' }).click();
  await page.getByRole('button', { name: 'Type the recovery key instead' }).waitFor();
  expect(await page.getByLabel('Recovery key').count()).toBe(0);
  await page.getByLabel('Relay').fill(relay.url);
  await page.getByLabel('Your handle').fill('alice');
  await page.getByLabel('Vault passphrase for this browser').fill(PASSPHRASE);
  await page.getByLabel('Repeat it').fill(PASSPHRASE);
  if (shotName !== undefined) {
    await shot(page, shotName);
    expect(await auditThemes(page)).toEqual([]);
  }
  await page.bringToFront();
  await page.getByRole('button', { name: 'Restore', exact: true }).click();
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
    aTab = await openPage(a, 'onboarding');
    aPasskey = await addVirtualAuthenticator(aTab, { prf: true });
    await aTab.getByLabel('Relay').fill(relay.url);
    await aTab.getByLabel('Handle').fill('alice');
    await aTab.getByRole('button', { name: 'Continue' }).click();
    await aTab.bringToFront();
    await aTab.getByRole('button', { name: 'Create passkey' }).click();
    await aTab.getByRole('heading', { name: 'You’re all set, @alice' }).waitFor();

    const panel = await openPage(a, 'sidepanel', aTab);
    await panel.getByRole('button', { name: 'Settings' }).click();
    await panel.getByRole('heading', { name: 'Backups', level: 2 }).waitFor();
    await panel.getByRole('switch', { name: 'Encrypted backups' }).focus();
    await panel.keyboard.press('Space');
    await panel.getByLabel('I have saved my recovery key somewhere safe').check();
    await panel.getByRole('button', { name: 'Done' }).click();
    const status = panel.locator('[data-backup-status]');
    await eventually(() => status.textContent(), STEP_MS).toContain('(snapshot 1)');

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
    const passkey = await addVirtualAuthenticator(page, { prf: true });
    const { credentials } = await aPasskey.cdp.send('WebAuthn.getCredentials', {
      authenticatorId: aPasskey.authenticatorId,
    });
    const [credential] = credentials;
    if (credentials.length !== 1 || credential === undefined)
      throw new Error(`A holds ${credentials.length} passkeys`);
    await passkey.cdp.send('WebAuthn.addCredential', {
      authenticatorId: passkey.authenticatorId,
      credential,
    });
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
    const notice = page.getByRole('heading', { name: 'Another device is still active' });
    await notice.waitFor({ timeout: STEP_MS });
    await page.getByRole('button', { name: 'Restore anyway' }).click();
    // The snapshot list, or the error line (its sentence says why in the failure).
    const choose = page.getByRole('heading', { name: 'Choose a backup' });
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
    await page.getByRole('button', { name: 'Restore this backup' }).click();
    await page
      .getByRole('heading', { name: 'You’re all set, @alice' })
      .waitFor({ timeout: 2 * STEP_MS });
    await shot(page, 'passkey-restore-5-restored');
    expect(errorsOf(a, page)).toEqual([]);
  });
});
