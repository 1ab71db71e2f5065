/**
 * The extension shell in real Chromium: the built extension loads with its
 * pinned id, its pages render without console errors (light and dark), a
 * PRF-capable virtual authenticator creates a passkey from the onboarding
 * page with RP ID = extension id, the vault opens and closes with the passkey
 * PRF output and with a passphrase (through the same message protocol and UI
 * the pages use), and the IndexedDB storage layer seals what it stores.
 */
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addVirtualAuthenticator,
  callWorker,
  EXTENSION_ID,
  errorsOf,
  freePort,
  launchBrowser,
  openPage,
  type ParleyBrowser,
  ROOT,
  screenshot,
  startRelay,
} from './fixture.ts';
import type { StorageCheckResult } from './idb-harness.ts';

let browser: ParleyBrowser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

interface CreatedCredential {
  credentialId: string;
  prfEnabled: boolean | null;
  prfOutput: string | null;
  prfSalt: string;
  rpIdHash: string;
}

/** navigator.credentials.create from inside an extension page, PRF requested, RP ID = extension id. */
function createCredential(page: Page, rpId: string): Promise<CreatedCredential> {
  return page.evaluate(async (id) => {
    const b64u = (bytes: Uint8Array) =>
      btoa(String.fromCharCode(...bytes))
        .replaceAll('+', '-')
        .replaceAll('/', '_')
        .replace(/=+$/, '');
    const hex = (bytes: Uint8Array) =>
      [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
    const salt = crypto.getRandomValues(new Uint8Array(32));
    const credential = (await navigator.credentials.create({
      publicKey: {
        rp: { id, name: 'Parley' },
        user: {
          id: crypto.getRandomValues(new Uint8Array(16)),
          name: 'alice',
          displayName: 'alice',
        },
        challenge: crypto.getRandomValues(new Uint8Array(32)),
        pubKeyCredParams: [
          { type: 'public-key', alg: -8 },
          { type: 'public-key', alg: -7 },
        ],
        authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
        extensions: { prf: { eval: { first: salt } } },
      },
    })) as PublicKeyCredential;
    const prf = credential.getClientExtensionResults().prf;
    const first = prf?.results?.first;
    const response = credential.response as AuthenticatorAttestationResponse;
    const authData = new Uint8Array(response.getAuthenticatorData());
    return {
      credentialId: credential.id,
      prfEnabled: prf?.enabled ?? null,
      prfOutput: first === undefined ? null : b64u(new Uint8Array(first as ArrayBuffer)),
      prfSalt: b64u(salt),
      rpIdHash: hex(authData.slice(0, 32)),
    };
  }, rpId);
}

async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)),
  );
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
}

describe('extension shell in Chromium', () => {
  it('loads with the pinned id and a running service worker', () => {
    expect(browser.extensionId).toBe(EXTENSION_ID);
    expect(browser.worker.url()).toBe(`chrome-extension://${EXTENSION_ID}/background.js`);
  });

  it('renders onboarding, popup and side panel without console errors, light and dark', async () => {
    const onboarding = await openPage(browser, 'onboarding');
    await expect
      .poll(() => onboarding.getByRole('heading', { name: 'Set up Parley' }).isVisible())
      .toBe(true);
    expect(await onboarding.getByLabel('Relay').inputValue()).toBe('http://127.0.0.1:8787');
    await screenshot(onboarding, 'onboarding-light');

    const popup = await openPage(browser, 'popup');
    await expect
      .poll(() => popup.getByRole('heading', { name: 'Welcome to Parley' }).isVisible())
      .toBe(true);
    await screenshot(popup, 'popup-welcome-light');

    const panel = await openPage(browser, 'sidepanel');
    await expect
      .poll(() => panel.getByRole('heading', { name: 'Welcome to Parley' }).isVisible())
      .toBe(true);
    await screenshot(panel, 'sidepanel-welcome-light');

    for (const [page, name] of [
      [onboarding, 'onboarding'],
      [popup, 'popup-welcome'],
      [panel, 'sidepanel-welcome'],
    ] as const) {
      await page.emulateMedia({ colorScheme: 'dark' });
      await screenshot(page, `${name}-dark`);
      expect(errorsOf(browser, page)).toEqual([]);
      await page.close();
    }
  });

  it('checks the relay from the worker: the real relay answers, a closed port reads "Relay unreachable"', async () => {
    const relay = await startRelay();
    try {
      const page = await openPage(browser, 'onboarding');
      const check = await callWorker(page, 'checkRelay', { relayUrl: `${relay.url}/` });
      expect(check.ok && check.value.relayUrl).toBe(relay.url);

      const closed = `http://127.0.0.1:${await freePort()}`;
      await page.getByLabel('Relay').fill(closed);
      await page.getByLabel('Handle').fill('alice');
      await page.getByRole('button', { name: 'Continue' }).click();
      const problem = page.getByRole('alert');
      await expect
        .poll(() => problem.textContent())
        .toContain(`Relay unreachable at ${new URL(closed).host}`);
      await page.emulateMedia({ colorScheme: 'light' });
      await screenshot(page, 'onboarding-relay-unreachable');

      const insecure = await callWorker(page, 'checkRelay', { relayUrl: 'http://relay.example' });
      expect(insecure.ok ? 'ok' : insecure.error.code).toBe('BODY_INVALID');
      expect(errorsOf(browser, page)).toEqual([]);
      await page.close();
    } finally {
      await relay.dispose();
    }
  });

  it('creates a passkey with PRF from the onboarding page, scoped to chrome-extension://<id>', async () => {
    const page = await openPage(browser, 'onboarding');
    await addVirtualAuthenticator(page);
    const created = await createCredential(page, browser.extensionId);
    expect(created.prfEnabled).toBe(true);
    expect(created.prfOutput).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Chromium hashes the extension origin, not the bare id, as the RP ID.
    expect(created.rpIdHash).toBe(await sha256Hex(`chrome-extension://${browser.extensionId}`));
    expect(errorsOf(browser, page)).toEqual([]);
    await page.close();
  });

  it('opens the vault with the passkey PRF output, locks it, and unlocks it from the lock screen', async () => {
    const page = await openPage(browser, 'onboarding');
    await addVirtualAuthenticator(page);
    const created = await createCredential(page, browser.extensionId);
    if (created.prfOutput === null) throw new Error('virtual authenticator returned no PRF output');

    const made = await callWorker(page, 'createVault', {
      method: 'prf',
      credentialId: created.credentialId,
      prfSalt: created.prfSalt,
      prfOutput: created.prfOutput,
    });
    expect(made.ok && made.value.vault).toBe('unlocked');
    expect(made.ok && made.value.unlockMethods).toEqual(['prf']);
    expect(made.ok && made.value.autoLockAt).toBeGreaterThan(Date.now());

    const again = await callWorker(page, 'createVault', {
      method: 'prf',
      credentialId: created.credentialId,
      prfSalt: created.prfSalt,
      prfOutput: created.prfOutput,
    });
    expect(again.ok ? 'ok' : again.error.code).toBe('VAULT_EXISTS');

    const locked = await callWorker(page, 'lock');
    expect(locked.ok && locked.value.vault).toBe('locked');

    const options = await callWorker(page, 'getUnlockOptions');
    expect(options.ok && options.value.prf).toEqual({
      rpId: browser.extensionId,
      credentialIds: [created.credentialId],
      salt: created.prfSalt,
    });

    const wrong = await callWorker(page, 'unlock', {
      method: 'prf',
      credentialId: created.credentialId,
      prfOutput: 'A'.repeat(43),
    });
    expect(wrong.ok ? 'ok' : wrong.error.code).toBe('VAULT_WRONG_SECRET');
    const bad = await callWorker(page, 'unlock', {
      method: 'prf',
      credentialId: created.credentialId,
      prfOutput: 'x',
    });
    expect(bad.ok ? 'ok' : bad.error.code).toBe('BODY_INVALID');

    // The same tab becomes the popup: its lock screen asks the same authenticator.
    await openPage(browser, 'popup', page);
    const unlockButton = page.getByRole('button', { name: 'Unlock with passkey' });
    await expect.poll(() => unlockButton.isVisible()).toBe(true);
    await page.emulateMedia({ colorScheme: 'light' });
    await screenshot(page, 'popup-locked-passkey');
    await unlockButton.click();
    await expect
      .poll(
        () =>
          page
            .getByRole('heading', { name: /Finish setting up Parley|No conversations yet/ })
            .isVisible(),
        { timeout: 20_000 },
      )
      .toBe(true);
    const status = await callWorker(page, 'getStatus');
    expect(status.ok && status.value.vault).toBe('unlocked');
    expect(errorsOf(browser, page)).toEqual([]);

    const reset = await callWorker(page, 'resetOnboarding');
    expect(reset.ok && reset.value.vault).toBe('none');
    await page.close();
  });

  it('opens the vault with a passphrase (Argon2id in the worker) and rejects a wrong one', async () => {
    const page = await openPage(browser, 'popup');
    const started = performance.now();
    const made = await callWorker(page, 'createVault', {
      method: 'passphrase',
      passphrase: 'correct horse battery',
    });
    const createMs = performance.now() - started;
    expect(made.ok ? made.value.unlockMethods : made.error).toEqual(['passphrase']);

    const short = await callWorker(page, 'createVault', {
      method: 'passphrase',
      passphrase: 'short',
    });
    expect(short.ok ? 'ok' : short.error.code).toBe('BODY_INVALID');
    expect(short.ok ? '' : short.error.message).not.toContain('short');

    await callWorker(page, 'lock');
    const wrongStarted = performance.now();
    const wrong = await callWorker(page, 'unlock', {
      method: 'passphrase',
      passphrase: 'wrong horse battery',
    });
    const unlockMs = performance.now() - wrongStarted;
    expect(wrong.ok ? 'ok' : wrong.error.code).toBe('VAULT_WRONG_SECRET');
    const viaPrf = await callWorker(page, 'unlock', {
      method: 'prf',
      credentialId: 'Y3JlZGVudGlhbC1pZC0x',
      prfOutput: 'A'.repeat(43),
    });
    expect(viaPrf.ok ? 'ok' : viaPrf.error.code).toBe('VAULT_METHOD_MISMATCH');
    console.info(
      `Argon2id vault (128 MiB, t=3, p=1) in the worker: create ${createMs.toFixed(0)} ms, unlock attempt ${unlockMs.toFixed(0)} ms`,
    );

    await page.reload();
    const field = page.getByLabel('Passphrase', { exact: true });
    await expect.poll(() => field.isVisible()).toBe(true);
    await screenshot(page, 'popup-locked-passphrase');
    await field.fill('correct horse battery');
    await field.press('Enter');
    // Argon2id takes 0.5–1.5 s on a busy 2-core machine: more than expect.poll's default 1 s.
    await expect
      .poll(
        () =>
          page
            .getByRole('heading', { name: /Finish setting up Parley|No conversations yet/ })
            .isVisible(),
        { timeout: 20_000 },
      )
      .toBe(true);
    const status = await callWorker(page, 'getStatus');
    expect(status.ok && status.value.vault).toBe('unlocked');

    const settings = await callWorker(page, 'updateSettings', {
      autoLockMinutes: 5,
      notificationPreview: true,
    });
    expect(settings.ok && settings.value).toEqual({
      autoLockMinutes: 5,
      notifications: true,
      notificationPreview: true,
      readReceipts: true,
      typingIndicators: true,
      showPresence: true,
    });
    const badSetting = await callWorker(page, 'updateSettings', { autoLockMinutes: 7 });
    expect(badSetting.ok ? 'ok' : badSetting.error.code).toBe('BODY_INVALID');
    expect(errorsOf(browser, page)).toEqual([]);

    const reset = await callWorker(page, 'resetOnboarding');
    expect(reset.ok && reset.value.vault).toBe('none');
    await page.close();
  });

  it('seals every record in IndexedDB and locks them away with the vault (real IndexedDB + WebCrypto)', async () => {
    const bundle = await build({
      entryPoints: [join(ROOT, 'extension', 'e2e', 'idb-harness.ts')],
      bundle: true,
      format: 'iife',
      globalName: '__parleyHarness',
      footer: { js: 'globalThis.__parleyHarness = __parleyHarness;' },
      platform: 'browser',
      target: 'chrome137',
      write: false,
      logLevel: 'silent',
    });
    const source = bundle.outputFiles[0]?.text ?? '';
    const page = await openPage(browser, 'popup');
    await page.evaluate(source);
    const result = (await page.evaluate(
      'globalThis.__parleyHarness.runStorageChecks("parley-e2e-storage")',
    )) as StorageCheckResult;

    expect(result.roundTrip).toBe('attack at dawn — plaintext marker 7f3a');
    expect(result.lists).toEqual({
      all: ['b/1', 'b/2', 'b/3', 'b/4', 'b/5'],
      after: ['b/3', 'b/4', 'b/5'],
      reverseLimit: ['b/5', 'b/4'],
      reverseAfter: ['b/2', 'b/1'],
      limitZero: [],
      values: ['b1', 'b2'],
    });
    const walkKeys = Array.from({ length: 300 }, (_, i) => `w/${String(i).padStart(3, '0')}`);
    expect(result.walk).toEqual({
      keys: [...walkKeys.filter((k) => k !== 'w/150'), 'w/299a'],
      valuesMatch: true,
      reverse: ['w/299a', 'w/299', 'w/298'],
    });
    expect(result.deleted).toBe(true);
    expect(result.overwritten).toBe('c2');
    expect(result.formatByte).toBe(2); // an entry: sealed logical key + sealed value
    expect(result.plaintextOnDisk).toBe(false);
    expect(result.swapped).toBe('DECRYPT_FAILED');
    expect(result.signatureValid).toBe(true);
    // Issue 11 item 9: the keys on disk name no user, group, handle or time;
    // the store still lists in logical order, and an old profile is migrated.
    expect(result.migrated).toBe('carol, from before');
    expect(result.opaque.leaks).toEqual([]);
    expect(result.opaque.handles).toEqual([]);
    expect(result.opaque.messagesInOrder).toEqual(result.expected.msgKeys);
    expect(result.opaque.newestFirst).toEqual(result.expected.msgKeys.slice(1).reverse());
    expect(result.opaque.expiryInOrder).toEqual([
      result.expected.dueIndex,
      result.expected.laterIndex,
    ]);
    expect(result.whileLocked).toEqual({
      get: 'VAULT_LOCKED',
      list: 'VAULT_LOCKED',
      write: 'VAULT_LOCKED',
      keyStillThere: true,
      state: 'locked',
      listExpiry: 'VAULT_LOCKED',
      deleteOnly: 'VAULT_LOCKED',
      swept: 1,
      nextSweepAfterLater: true,
    });
    // The locked sweep deleted the due message, its receipt index and its expiry entry.
    expect(result.afterSweep).toEqual({
      messages: result.expected.msgKeys.slice(1),
      receiptIndex: true,
      expiry: [result.expected.laterIndex],
      longInOrder: result.expected.longKeys,
    });
    expect(result.inboxQueued).toBe(3);
    expect(result.inboxPlaintextOnDisk).toBe(false);
    expect(result.wrongUnlock).toBe('VAULT_WRONG_SECRET');
    expect(result.otherCredential).toBe('VAULT_WRONG_SECRET');
    expect(result.passphraseOnPrfVault).toBe('VAULT_METHOD_MISMATCH');
    expect(result.afterUnlock).toBe('attack at dawn — plaintext marker 7f3a');
    expect(result.drained).toEqual(['frame one: hello', 'frame two', 'frame three']);
    expect(result.drainedCount).toBe(3);
    expect(result.inboxLeft).toBe(0);
    expect(errorsOf(browser, page)).toEqual([]);
    await page.close();
  });
});
