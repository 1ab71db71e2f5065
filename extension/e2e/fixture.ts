/**
 * Real-browser test fixture: builds the extension (when its sources are newer
 * than the build), launches Debian's Chromium headless with it loaded in a
 * fresh profile, and gives tests the extension id, its service worker, pages
 * opened as tabs (popup and side panel too: CDP virtual authenticators belong
 * to the page that added them), a PRF-capable virtual authenticator, raw
 * calls into the worker's message protocol, and screenshots.
 *
 * Runs in: Node (vitest), driving /usr/bin/chromium through playwright-core.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type BrowserContext,
  type CDPSession,
  chromium,
  type Page,
  type Worker,
} from 'playwright-core';
import {
  freePort,
  RelayProcess,
  type RelayProcessOptions,
} from '../../edge/testing/relay-process.ts';
import type { RpcResult } from '../lib/errors.ts';
import type { RequestOf, RequestType, ResponseOf } from '../lib/messaging.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const EXTENSION_DIR = join(ROOT, '.output', 'chrome-mv3');
export const RESULTS_DIR = join(ROOT, 'test-results');
/** Pinned by the manifest key (extension/manifest-key.json). */
export const EXTENSION_ID = 'bmdomknieihcmbmhfmajogfncjkidlbh';
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Flags for every Chromium the tests start: no sandbox (root in CI), and none of the
 * background traffic that would flood a closed network with refused connections.
 */
export function chromiumArgs(extensionPath: string): string[] {
  return [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    `--disable-extensions-except=${extensionPath}`,
    `--load-extension=${extensionPath}`,
  ];
}

export { freePort };

const SOURCES = ['extension', 'shared', 'wxt.config.ts'];

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry === 'e2e' || entry.startsWith('.')) continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

/** Builds with `wxt build` unless the existing build is newer than every source file. */
export function ensureBuilt(): string {
  const manifest = join(EXTENSION_DIR, 'manifest.json');
  const sources = Math.max(...SOURCES.map((s) => newestMtime(join(ROOT, s))));
  if (!existsSync(manifest) || statSync(manifest).mtimeMs < sources) {
    const result = spawnSync(join(ROOT, 'node_modules', '.bin', 'wxt'), ['build'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    if (result.status !== 0)
      throw new Error(`wxt build failed:\n${result.stdout}\n${result.stderr}`);
  }
  return EXTENSION_DIR;
}

export interface ParleyBrowser {
  readonly context: BrowserContext;
  readonly extensionId: string;
  readonly worker: Worker;
  readonly userDataDir: string;
  /** Console errors and uncaught exceptions, per page, collected since the page opened. */
  readonly consoleErrors: Map<Page, string[]>;
  /** The service worker's console warnings and errors (the worker logs only codes). */
  readonly workerLog: string[];
  close(): Promise<void>;
}

/**
 * `{"extensions":{"ui":{"developer_mode":true}}}` so chrome.runtime.reload()
 * keeps the extension. Only into a new profile: a restarted one keeps its own.
 */
function writeDeveloperModePrefs(userDataDir: string): void {
  const dir = join(userDataDir, 'Default');
  if (existsSync(join(dir, 'Preferences'))) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'Preferences'),
    JSON.stringify({ extensions: { ui: { developer_mode: true } } }),
  );
}

export async function launchBrowser(
  options: { userDataDir?: string; extensionPath?: string; extraArgs?: readonly string[] } = {},
): Promise<ParleyBrowser> {
  const extensionPath = options.extensionPath ?? ensureBuilt();
  const userDataDir = options.userDataDir ?? mkdtempSync(join(tmpdir(), 'parley-e2e-'));
  writeDeveloperModePrefs(userDataDir);
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...chromiumArgs(extensionPath), ...(options.extraArgs ?? [])],
  });
  const worker =
    context.serviceWorkers().find((w) => w.url().startsWith('chrome-extension://')) ??
    (await context.waitForEvent('serviceworker', { timeout: 30_000 }));
  const extensionId = new URL(worker.url()).host;
  const consoleErrors = new Map<Page, string[]>();
  const workerLog: string[] = [];
  const watchWorker = (w: Worker) =>
    w.on('console', (message) => {
      if (message.type() === 'warning' || message.type() === 'error')
        workerLog.push(message.text());
    });
  watchWorker(worker);
  // A worker that was stopped and started again is a new Worker object.
  context.on('serviceworker', watchWorker);
  const ownsDir = options.userDataDir === undefined;
  return {
    context,
    extensionId,
    worker,
    userDataDir,
    consoleErrors,
    workerLog,
    async close() {
      await context.close();
      if (ownsDir) rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export type PageName = 'popup' | 'sidepanel' | 'onboarding';

export const PAGE_VIEWPORTS: Record<PageName, { width: number; height: number }> = {
  popup: { width: 380, height: 560 },
  sidepanel: { width: 400, height: 760 },
  onboarding: { width: 1024, height: 780 },
};

/** Opens one of the extension's pages as a tab and records its console errors. */
export async function openPage(browser: ParleyBrowser, name: PageName, page?: Page): Promise<Page> {
  const tab = page ?? (await browser.context.newPage());
  if (!browser.consoleErrors.has(tab)) {
    const errors: string[] = [];
    browser.consoleErrors.set(tab, errors);
    tab.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    tab.on('pageerror', (error) => errors.push(`${error.name}: ${error.message}`));
  }
  await tab.setViewportSize(PAGE_VIEWPORTS[name]);
  await tab.goto(`chrome-extension://${browser.extensionId}/${name}.html`);
  return tab;
}

/** The console errors and uncaught exceptions a tab opened by openPage has logged so far. */
export function errorsOf(browser: ParleyBrowser, page: Page): string[] {
  return browser.consoleErrors.get(page) ?? [];
}

export interface VirtualAuthenticator {
  readonly cdp: CDPSession;
  readonly authenticatorId: string;
}

/**
 * A CTAP2 platform authenticator with user verification and (by default) PRF,
 * attached to `page`. Its credentials, and their PRF secrets, live only as
 * long as the browser: `WebAuthn.addCredential` can restore a credential into
 * a new browser, but not its PRF secret (checked on Chromium 156: PRF results
 * come back empty), so a profile that must unlock after a browser restart
 * uses `{ prf: false }` and a passphrase vault.
 */
export async function addVirtualAuthenticator(
  page: Page,
  options: { prf?: boolean; userVerified?: boolean } = {},
): Promise<VirtualAuthenticator> {
  // WebAuthn refuses to run in a page that does not have focus.
  await page.bringToFront();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      ctap2Version: 'ctap2_1',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      // false: every ceremony fails as if the person closed the dialog.
      isUserVerified: options.userVerified ?? true,
      automaticPresenceSimulation: true,
      hasPrf: options.prf ?? true,
    },
  });
  return { cdp, authenticatorId };
}

/**
 * Calls the worker exactly as the extension's pages do (the
 * @webext-core/messaging envelope over chrome.runtime.sendMessage), from
 * inside `page`, and returns the RpcResult unchanged.
 */
export async function callWorker<K extends RequestType>(
  page: Page,
  type: K,
  ...args: RequestOf<K> extends undefined ? [] : [data: RequestOf<K>]
): Promise<RpcResult<ResponseOf<K>>> {
  const reply = await page.evaluate(
    ([t, d]) =>
      new Promise<unknown>((resolvePromise, reject) => {
        const message = {
          id: Math.floor(Math.random() * 1e9),
          type: t,
          data: d,
          timestamp: Date.now(),
        };
        chrome.runtime.sendMessage(message, (response: unknown) => {
          const error = chrome.runtime.lastError;
          if (error) reject(new Error(error.message));
          else resolvePromise(response);
        });
      }),
    [type, args[0]] as const,
  );
  const envelope = reply as { res?: RpcResult<ResponseOf<K>>; err?: unknown };
  if (envelope.res === undefined)
    throw new Error(`No RpcResult for ${type}: ${JSON.stringify(reply)}`);
  return envelope.res;
}

/** Saves a PNG under test-results/ and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

/**
 * Starts the real relay (edge/main.ts under Deno) on a free port with its own
 * temporary libSQL file; `dispose()` stops it and removes the file.
 */
export function startRelay(options: RelayProcessOptions = {}): Promise<RelayProcess> {
  return RelayProcess.start(options);
}

declare const chrome: {
  runtime: {
    sendMessage(message: unknown, callback: (response: unknown) => void): void;
    lastError?: { message?: string };
  };
};
