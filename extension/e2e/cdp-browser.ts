/**
 * Plain Chromium driven over a raw CDP socket, for the tests that must see
 * Chrome's real service-worker lifecycle. Playwright attaches DevTools to
 * every service worker (that is how `context.serviceWorkers()` works), and a
 * worker with DevTools attached is never stopped for idleness; this driver
 * only ever attaches to the pages it opens, never to the worker, so Chrome's
 * idle rules apply (and `stopWorkers()` stops it the way Chrome does).
 *
 * Same flags as fixture.ts. Evaluations run in extension pages opened by the
 * test, which may call chrome.* APIs (badge text, notifications.getAll).
 *
 * Runs in: Node (vitest).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import WebSocket from 'ws';
import { CHROMIUM, chromiumArgs, EXTENSION_ID, ensureBuilt } from './fixture.ts';

type Listener = (params: Record<string, unknown>, sessionId: string | undefined) => void;

export interface CdpTarget {
  readonly targetId: string;
  readonly type: string;
  readonly url: string;
}

export class CdpBrowser {
  readonly #process: ChildProcess;
  readonly #socket: WebSocket;
  #nextId = 1;
  readonly #pending = new Map<
    number,
    { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }
  >();
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly userDataDir: string;

  private constructor(process: ChildProcess, socket: WebSocket, userDataDir: string) {
    this.#process = process;
    this.#socket = socket;
    this.userDataDir = userDataDir;
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as {
        id?: number;
        result?: Record<string, unknown>;
        error?: { message: string };
        method?: string;
        params?: Record<string, unknown>;
        sessionId?: string;
      };
      if (message.id !== undefined) {
        const waiting = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        if (message.error !== undefined) waiting?.reject(new Error(message.error.message));
        else waiting?.resolve(message.result ?? {});
      } else if (message.method !== undefined) {
        for (const listener of this.#listeners.get(message.method) ?? [])
          listener(message.params ?? {}, message.sessionId);
      }
    });
  }

  /** Starts Chromium on `userDataDir` (kept as it is: a restart reuses it) with the extension loaded. */
  static async launch(userDataDir: string): Promise<CdpBrowser> {
    const extensionPath = ensureBuilt();
    const child = spawn(
      CHROMIUM,
      [
        '--headless',
        ...chromiumArgs(extensionPath),
        `--user-data-dir=${userDataDir}`,
        '--remote-debugging-port=0',
        'about:blank',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const url = await new Promise<string>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => reject(new Error(`Chromium did not start:\n${text}`)), 30_000);
      child.stderr?.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const match = /DevTools listening on (ws:\/\/\S+)/.exec(text);
        if (match?.[1] !== undefined) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      child.on('exit', (code) => reject(new Error(`Chromium exited (${code}):\n${text}`)));
    });
    child.stderr?.resume();
    const socket = new WebSocket(url, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new CdpBrowser(child, socket, userDataDir);
  }

  send(
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
  ): Promise<Record<string, unknown>> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#socket.send(
        JSON.stringify({ id, method, params, ...(sessionId === undefined ? {} : { sessionId }) }),
      );
    });
  }

  on(method: string, listener: Listener): () => void {
    const set = this.#listeners.get(method) ?? new Set();
    set.add(listener);
    this.#listeners.set(method, set);
    return () => set.delete(listener);
  }

  async targets(): Promise<CdpTarget[]> {
    const { targetInfos } = (await this.send('Target.getTargets')) as {
      targetInfos: CdpTarget[];
    };
    return targetInfos;
  }

  /** The extension's worker target, if it runs (seen without attaching to it). */
  async workerRunning(): Promise<boolean> {
    return (await this.targets()).some(
      (t) => t.type === 'service_worker' && t.url.startsWith(`chrome-extension://${EXTENSION_ID}/`),
    );
  }

  /** Opens `path` of the extension (or any URL) in a new tab; returns a handle to evaluate in it. */
  async open(path: string): Promise<CdpPage> {
    const url = path.includes('://') ? path : `chrome-extension://${EXTENSION_ID}/${path}`;
    const { targetId } = (await this.send('Target.createTarget', { url })) as { targetId: string };
    const { sessionId } = (await this.send('Target.attachToTarget', {
      targetId,
      flatten: true,
    })) as { sessionId: string };
    const page = new CdpPage(this, targetId, sessionId);
    const start = Date.now();
    // A new target starts on about:blank, itself "complete": wait for OUR document
    // (an extension page evaluated too early has no chrome.runtime; failed in CI once).
    const loaded = `location.href === 'about:blank' ? 'navigating' : document.readyState`;
    while ((await page.evaluate(loaded).catch(() => '')) !== 'complete') {
      if (Date.now() - start > 20_000) throw new Error(`${url} did not load`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return page;
  }

  /**
   * Stops the extension's service worker the way Chrome stops an idle one
   * (ServiceWorker.stopAllWorkers from a plain tab's session), and resolves
   * once Chrome reports it stopped.
   */
  async stopWorkers(): Promise<void> {
    const blank = await this.open('about:blank');
    let stopped = false;
    const off = this.on('ServiceWorker.workerVersionUpdated', (params, sessionId) => {
      if (sessionId !== blank.sessionId) return;
      const versions = params.versions as Array<{ scriptURL: string; runningStatus: string }>;
      for (const v of versions)
        if (
          v.scriptURL.startsWith(`chrome-extension://${EXTENSION_ID}/`) &&
          v.runningStatus === 'stopped'
        )
          stopped = true;
    });
    await this.send('ServiceWorker.enable', {}, blank.sessionId);
    await this.send('ServiceWorker.stopAllWorkers', {}, blank.sessionId);
    const start = Date.now();
    while (!stopped) {
      if (Date.now() - start > 20_000) throw new Error('the worker did not stop');
      await new Promise((r) => setTimeout(r, 50));
    }
    off();
    await blank.close();
  }

  /** Closes the browser as a person would (profile flushed), killing it if it hangs. */
  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.#process.exitCode !== null) resolve();
      else this.#process.once('exit', () => resolve());
    });
    await this.send('Browser.close').catch(() => undefined);
    const timer = setTimeout(() => this.#process.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
    this.#socket.close();
  }
}

export class CdpPage {
  constructor(
    readonly browser: CdpBrowser,
    readonly targetId: string,
    readonly sessionId: string,
  ) {}

  /** Evaluates `expression` (awaiting a promise) and returns its JSON value. */
  async evaluate<T = unknown>(expression: string): Promise<T> {
    const reply = (await this.browser.send(
      'Runtime.evaluate',
      { expression, awaitPromise: true, returnByValue: true },
      this.sessionId,
    )) as { result: { value?: unknown }; exceptionDetails?: { text: string; exception?: unknown } };
    if (reply.exceptionDetails !== undefined)
      throw new Error(
        `evaluate failed: ${reply.exceptionDetails.text} ${JSON.stringify(reply.exceptionDetails.exception ?? '')}`,
      );
    return reply.result.value as T;
  }

  /** A PNG of the page (the viewport is set first, as the popup's size). */
  async screenshot(width: number, height: number): Promise<Buffer> {
    await this.browser.send(
      'Emulation.setDeviceMetricsOverride',
      { width, height, deviceScaleFactor: 1, mobile: false },
      this.sessionId,
    );
    const { data } = (await this.browser.send(
      'Page.captureScreenshot',
      { format: 'png' },
      this.sessionId,
    )) as { data: string };
    return Buffer.from(data, 'base64');
  }

  async close(): Promise<void> {
    await this.browser.send('Target.closeTarget', { targetId: this.targetId });
  }
}
