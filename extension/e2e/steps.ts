/**
 * Steps a person takes in Parley's pages, and what a test reads back, for the
 * real-Chromium tests: onboarding with a virtual passkey, starting a chat,
 * sending and exchanging messages, opening Linked devices, restoring a
 * backup in a fresh browser (a copy of the passkey, the restore form, the
 * still-active notice, the snapshot list), finding bubbles and their state, the worker's IndexedDB record keys (the keys are
 * plain, values sealed), stopping the service worker, screenshots without a
 * hover state. Waits are on conditions, never fixed sleeps.
 *
 * Runs in: Node (vitest), driving pages through playwright-core.
 */
import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import {
  addVirtualAuthenticator,
  openPage,
  type ParleyBrowser,
  screenshot,
  type VirtualAuthenticator,
} from './fixture.ts';

export const WAIT_MS = 20_000;

/** Polls a value until it matches (network-paced steps take a moment on a busy machine). */
export function eventually<T>(read: () => Promise<T> | T, timeout = WAIT_MS) {
  return expect.poll(read, { timeout, interval: 50 });
}

/**
 * Registers `handle` through the onboarding page with a PRF passkey; returns that tab and
 * the virtual authenticator that holds the passkey (to copy it into another browser).
 */
export async function onboardKeepingPasskey(
  browser: ParleyBrowser,
  relayUrl: string,
  handle: string,
): Promise<{ page: Page; passkey: VirtualAuthenticator }> {
  const page = await openPage(browser, 'onboarding');
  const passkey = await addVirtualAuthenticator(page, { prf: true });
  await page.getByLabel('Relay').fill(relayUrl);
  await page.getByLabel('Handle').fill(handle);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.bringToFront();
  await page.getByRole('button', { name: 'Create passkey' }).click();
  await page.getByRole('heading', { name: `You’re all set, @${handle}` }).waitFor();
  return { page, passkey };
}

/** Registers `handle` through the onboarding page with a PRF passkey; returns that tab. */
export async function onboard(
  browser: ParleyBrowser,
  relayUrl: string,
  handle: string,
): Promise<Page> {
  return (await onboardKeepingPasskey(browser, relayUrl, handle)).page;
}

/** Creates the passkey, then a passphrase vault (what a passkey without PRF is offered). */
export async function createPasskeyAndPassphraseVault(
  page: Page,
  passphrase: string,
): Promise<void> {
  await page.getByRole('button', { name: 'Create passkey' }).click();
  await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
  await page.getByLabel('Repeat it').fill(passphrase);
  await page.getByRole('button', { name: 'Create vault' }).click();
}

/**
 * Registers `handle` with a passkey without PRF and a passphrase vault (one
 * that unlocks after a browser restart); returns the onboarding tab.
 */
export async function onboardWithPassphrase(
  browser: ParleyBrowser,
  relayUrl: string,
  handle: string,
  passphrase: string,
): Promise<Page> {
  const page = await openPage(browser, 'onboarding');
  await addVirtualAuthenticator(page, { prf: false });
  await page.getByLabel('Relay').fill(relayUrl);
  await page.getByLabel('Handle').fill(handle);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.bringToFront();
  await createPasskeyAndPassphraseVault(page, passphrase);
  await page.getByRole('heading', { name: `You’re all set, @${handle}` }).waitFor();
  return page;
}

/** A screenshot without the hover state of whatever was clicked last. */
export async function shot(page: Page, name: string): Promise<void> {
  await page.mouse.move(3, 320, { steps: 3 });
  await page.evaluate(
    () =>
      new Promise<void>((resolve) =>
        requestAnimationFrame(() => requestAnimationFrame(() => resolve())),
      ),
  );
  await screenshot(page, name);
}

/** The bubble that holds `text` (incoming or outgoing). */
export function bubble(page: Page, text: string): Locator {
  return page.locator('.bubble').filter({ hasText: text });
}

/** A timeline notice (system line) containing `text`. */
export function notice(page: Page, text: string | RegExp): Locator {
  return page.locator('.system-line').filter({ hasText: text });
}

export async function stateOf(page: Page, text: string): Promise<string | null> {
  const icon = bubble(page, text).locator('[data-state]');
  return (await icon.count()) === 0 ? null : icon.first().getAttribute('aria-label');
}

export async function send(page: Page, text: string): Promise<void> {
  const field = page.getByLabel('Message', { exact: true });
  await field.fill(text);
  await field.press('Enter');
  await bubble(page, text).waitFor();
}

/** From the conversation list: "Start a chat" with `handle`, and waits for that chat to open. */
export async function startChat(panel: Page, handle: string): Promise<void> {
  await panel.getByRole('button', { name: 'Start a chat' }).first().click();
  await panel.getByPlaceholder('handle').fill(handle);
  await panel.getByRole('button', { name: 'Chat', exact: true }).click();
  await panel.getByRole('log', { name: `Messages with ${handle}` }).waitFor();
}

/** One side of a 1:1 chat: who sends (as `from` in the messages) and the page it uses. */
export interface ChatSide {
  readonly name: string;
  readonly panel: Page;
}

/**
 * Sends `messages` in order between two pages and waits for each on the receiving side.
 * `starter` already has the chat open (startChat); `answerer` opens it (titled with the
 * starter's handle) when the first message reaches it. A message not from the
 * starter is from the answerer.
 */
export async function exchangeMessages(
  starter: ChatSide & { readonly handle: string },
  answerer: ChatSide,
  messages: readonly { readonly from: string; readonly text: string }[],
): Promise<void> {
  let opened = false;
  for (const m of messages) {
    const [from, to] =
      m.from === starter.name ? [starter.panel, answerer.panel] : [answerer.panel, starter.panel];
    await send(from, m.text);
    if (to === answerer.panel && !opened) {
      await openConversation(answerer.panel, starter.handle);
      opened = true;
    }
    await bubble(to, m.text).waitFor();
  }
}

/** Settings → Linked devices, and waits for its heading. */
export async function openLinkedDevices(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('button', { name: 'Linked devices' }).click();
  await page.getByRole('heading', { name: 'Linked devices', level: 1 }).waitFor();
}

/** Settings, and waits for its Backups section. */
export async function openBackupSettings(panel: Page): Promise<void> {
  await panel.getByRole('button', { name: 'Settings' }).click();
  await panel.getByRole('heading', { name: 'Backups', level: 2 }).waitFor();
}

/**
 * In Settings' Backups section, by keyboard: the backups switch on, the
 * recovery key shown once (returned, its groups joined by spaces), "I have
 * saved it", Done; waits (up to `timeout`) for the first snapshot.
 */
export async function turnBackupsOn(panel: Page, timeout: number): Promise<string> {
  await panel.getByRole('switch', { name: 'Encrypted backups' }).focus();
  await panel.keyboard.press('Space');
  await panel.getByRole('heading', { name: 'Your recovery key' }).waitFor();
  const recoveryKey = (
    await panel.locator('[data-recovery-key] .recovery-key__group').allTextContents()
  ).join(' ');
  await panel.getByLabel('I have saved my recovery key somewhere safe').check();
  await panel.getByRole('button', { name: 'Done' }).click();
  await eventually(() => panel.locator('[data-backup-status]').textContent(), timeout).toContain(
    '(snapshot 1)',
  );
  return recoveryKey;
}

/** The focused element's tag and text ("H2 Restore from a backup"): where a new view put focus. */
export function focusedTagAndText(page: Page): Promise<string> {
  return page.evaluate(
    () => `${document.activeElement?.tagName} ${document.activeElement?.textContent}`,
  );
}

/**
 * Copies the one passkey `from` holds into a new virtual authenticator of
 * `page` (the stand-in for a synced passkey); returns that authenticator.
 */
export async function addCopiedPasskey(
  page: Page,
  from: VirtualAuthenticator,
  options: { prf: boolean },
): Promise<VirtualAuthenticator> {
  const passkey = await addVirtualAuthenticator(page, options);
  const { credentials } = await from.cdp.send('WebAuthn.getCredentials', {
    authenticatorId: from.authenticatorId,
  });
  const [credential] = credentials;
  if (credentials.length !== 1 || credential === undefined)
    throw new Error(`the authenticator holds ${credentials.length} passkeys`);
  await passkey.cdp.send('WebAuthn.addCredential', {
    authenticatorId: passkey.authenticatorId,
    credential,
  });
  return passkey;
}

/** What a test types into onboarding's "Restore from a backup" form. */
export interface RestoreFormFields {
  readonly relayUrl: string;
  readonly handle: string;
  /** The new vault passphrase, typed twice. */
  readonly passphrase: string;
  /** Typed into "Recovery key"; left out when the passkey stands in for the key. */
  readonly recoveryKey?: string;
}

/** From onboarding: "Restore from a backup", and waits for the form's heading. */
export async function openRestoreForm(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Restore from a backup' }).click();
  await page.getByRole('heading', { name: 'Restore from a backup' }).waitFor();
}

/** Fills the open restore form (the key only when given); submits nothing. */
export async function fillRestoreForm(page: Page, fields: RestoreFormFields): Promise<void> {
  if (fields.recoveryKey !== undefined)
    await page.getByLabel('Recovery key').fill(fields.recoveryKey);
  await page.getByLabel('Relay').fill(fields.relayUrl);
  await page.getByLabel('Your handle').fill(fields.handle);
  await page.getByLabel('Vault passphrase for this browser').fill(fields.passphrase);
  await page.getByLabel('Repeat it').fill(fields.passphrase);
}

/** The restore form's Restore, with the tab in front (WebAuthn asks only a focused page). */
export async function pressRestore(page: Page): Promise<void> {
  await page.bringToFront();
  await page.getByRole('button', { name: 'Restore', exact: true }).click();
}

/** Fills the open restore form and presses Restore. */
export async function submitRestoreForm(page: Page, fields: RestoreFormFields): Promise<void> {
  await fillRestoreForm(page, fields);
  await pressRestore(page);
}

/**
 * Waits (up to `timeout`) for the notice that another device of the account
 * is still active, and for focus on its heading; returns the notice.
 */
export async function stillActiveNotice(page: Page, timeout: number): Promise<Locator> {
  const notice = page.locator('[data-restore-alive]');
  await notice.waitFor({ timeout });
  await eventually(() => focusedTagAndText(page)).toBe('H3 Another device is still active');
  return notice;
}

/** Passes the still-active notice with "Restore anyway" and waits for it to go. */
export async function restoreAnyway(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Restore anyway' }).click();
  await page.locator('[data-restore-alive]').waitFor({ state: 'detached' });
}

/** The heading of the snapshot list ("Choose a backup") the restore shows once the key opens. */
export function snapshotListHeading(page: Page): Locator {
  return page.getByRole('heading', { name: 'Choose a backup' });
}

/** The snapshot list's "Also remove my other devices" checkbox. */
export function removeOtherDevicesOption(page: Page): Locator {
  return page.getByLabel('Also remove my other devices — choose this if they are lost');
}

/** "Restore this backup" on the snapshot list; waits (up to `timeout`) for @handle's all-set screen. */
export async function confirmRestore(page: Page, handle: string, timeout: number): Promise<void> {
  await page.getByRole('button', { name: 'Restore this backup' }).click();
  await page.getByRole('heading', { name: `You’re all set, @${handle}` }).waitFor({ timeout });
}

/** The disappearing-message timer's menu button (TimerSelect), named with its value. */
export function timerButton(page: Page): Locator {
  return page.getByRole('button', { name: /^Disappearing messages/ });
}

/** The timer's value as shown ("1 hour"), changeable or not. */
export function timerValue(page: Page): Promise<string | null> {
  return page.locator('#timer-value').textContent();
}

/** Sets the disappearing-message timer through its menu. */
export async function chooseTimer(page: Page, label: string): Promise<void> {
  await timerButton(page).click();
  await page.getByRole('menuitemradio', { name: label }).click();
}

/** Opens a conversation from the list by its title. */
export async function openConversation(page: Page, title: string): Promise<void> {
  await page
    .getByRole('list', { name: 'Conversations' })
    .getByRole('button', { name: new RegExp(`^${title.replace(/[.]/g, '\\.')}`) })
    .click();
  await page.getByRole('log', { name: `Messages with ${title}` }).waitFor();
}

/**
 * Record keys under `prefix` in the worker's IndexedDB (`parley`, store
 * `records`), read from an extension page or the worker itself. Keys are not
 * sealed (values are), so this works while the vault is locked.
 */
export const RECORD_KEYS_SCRIPT = `(prefix) => new Promise((resolve, reject) => {
  const open = indexedDB.open('parley');
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const db = open.result;
    const range = IDBKeyRange.bound(prefix, prefix + '\\uffff');
    const keys = db.transaction('records').objectStore('records').getAllKeys(range);
    keys.onsuccess = () => { resolve(keys.result); db.close(); };
    keys.onerror = () => reject(keys.error);
  };
})`;

export async function recordKeys(
  target: { evaluate: Page['evaluate'] },
  prefix: string,
): Promise<string[]> {
  return (await target.evaluate(`(${RECORD_KEYS_SCRIPT})(${JSON.stringify(prefix)})`)) as string[];
}

/**
 * Stops the extension's service worker the way Chrome does when it is idle
 * (CDP `ServiceWorker.stopAllWorkers`, from a plain about:blank tab) and
 * resolves once it is stopped; `running()` then says whether something (an
 * alarm, a page) started it again.
 */
export async function stopWorker(
  browser: ParleyBrowser,
): Promise<{ running(): boolean; startedAt(): number | null }> {
  const blank = await browser.context.newPage();
  const cdp = await browser.context.newCDPSession(blank);
  let status = 'unknown';
  let stopped = false;
  let startedAt: number | null = null;
  cdp.on('ServiceWorker.workerVersionUpdated', (event) => {
    for (const v of event.versions) {
      if (!v.scriptURL.startsWith(`chrome-extension://${browser.extensionId}/`)) continue;
      status = v.runningStatus;
      if (status === 'stopped') stopped = true;
      else if (stopped && startedAt === null && status !== 'stopping') startedAt = Date.now();
    }
  });
  await cdp.send('ServiceWorker.enable');
  await cdp.send('ServiceWorker.stopAllWorkers');
  await eventually(() => stopped).toBe(true);
  return { running: () => status === 'running', startedAt: () => startedAt };
}
