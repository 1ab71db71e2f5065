/**
 * Runs the REAL relay (edge/main.ts under Deno) as a child process on a free
 * port with its own libSQL file: start, wait for /healthz, stop gracefully
 * (SIGTERM), kill -9, and restart on the same database. Integration tests and
 * other suites (client core, CLI, extension e2e) share it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DENO = join(ROOT, 'node_modules', 'deno', 'deno');
const MAIN = join(ROOT, 'edge', 'main.ts');
/** The same permissions as `deno task relay`. */
const DENO_ARGS = [
  'run',
  '--unstable-cron',
  '--allow-net',
  '--allow-env',
  '--allow-read',
  '--allow-write',
  '--allow-ffi',
  '--allow-sys',
  MAIN,
];

/**
 * What an edge isolate allows: no native code, no writes, no system info,
 * network only to the listed endpoints (the database, Redis/Upstash) and the
 * relay's own port. Reads stay allowed: a deployment reads its own files.
 */
function edgeArgs(port: number, allowNet: readonly string[]): string[] {
  return [
    'run',
    '--unstable-cron',
    '--deny-ffi',
    '--deny-write',
    '--deny-sys',
    '--deny-run',
    `--allow-net=${[`127.0.0.1:${port}`, ...allowNet].join(',')}`,
    '--allow-env',
    '--allow-read',
    MAIN,
  ];
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export interface RelayProcessOptions {
  /** Extra environment (rate limits, timeouts...). */
  readonly env?: Readonly<Record<string, string>>;
  /** Reuse a database file (default: a new temp dir). */
  readonly dbPath?: string;
  readonly port?: number;
  readonly startTimeoutMs?: number;
  /** Extra Deno flags before the script (e.g. `--v8-flags=--prof` for profiling). */
  readonly denoFlags?: readonly string[];
  /** A remote database (e.g. the Hrana test server) instead of the file at `dbPath`. */
  readonly libsqlUrl?: string;
  /**
   * Run with an edge isolate's permissions (see edgeArgs), with network
   * access only to these `host:port` endpoints besides the relay's own port.
   */
  readonly edgeSandbox?: { readonly allowNet: readonly string[] };
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class RelayProcess {
  readonly port: number;
  readonly dbPath: string;
  readonly #ownsDir: string | undefined;
  readonly #env: Readonly<Record<string, string>>;
  readonly #startTimeoutMs: number;
  readonly #denoFlags: readonly string[];
  readonly #libsqlUrl: string | undefined;
  readonly #edgeSandbox: RelayProcessOptions['edgeSandbox'];
  #child: ChildProcess | undefined;
  #exited: Promise<Exit> | undefined;
  /** Every log line the relay printed (JSON), across restarts. */
  readonly output: string[] = [];

  private constructor(
    port: number,
    dbPath: string,
    ownsDir: string | undefined,
    options: RelayProcessOptions,
  ) {
    this.port = port;
    this.dbPath = dbPath;
    this.#ownsDir = ownsDir;
    this.#env = options.env ?? {};
    this.#startTimeoutMs = options.startTimeoutMs ?? 30_000;
    this.#denoFlags = options.denoFlags ?? [];
    this.#libsqlUrl = options.libsqlUrl;
    this.#edgeSandbox = options.edgeSandbox;
  }

  static async start(options: RelayProcessOptions = {}): Promise<RelayProcess> {
    const port = options.port ?? (await freePort());
    let ownsDir: string | undefined;
    let dbPath = options.dbPath;
    if (dbPath === undefined) {
      ownsDir = mkdtempSync(join(tmpdir(), 'parley-relay-proc-'));
      dbPath = join(ownsDir, 'relay.db');
    }
    const relay = new RelayProcess(port, dbPath, ownsDir, options);
    await relay.#spawn();
    return relay;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/v1/ws`;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** fetch() against the relay, with paths like "/healthz". */
  http = (path: string, init?: RequestInit): Promise<Response> => fetch(`${this.url}${path}`, init);

  async #spawn(): Promise<void> {
    const args =
      this.#edgeSandbox === undefined ? DENO_ARGS : edgeArgs(this.port, this.#edgeSandbox.allowNet);
    const [run, ...rest] = args;
    const child = spawn(DENO, [run ?? 'run', ...this.#denoFlags, ...rest], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? tmpdir(),
        DENO_DIR: process.env.DENO_DIR ?? join(process.env.HOME ?? tmpdir(), '.cache', 'deno'),
        HOST: '127.0.0.1',
        PORT: String(this.port),
        LIBSQL_URL: this.#libsqlUrl ?? `file:${this.dbPath}`,
        LOG_LEVEL: 'info',
        NO_COLOR: '1',
        SHUTDOWN_GRACE_SECONDS: '5',
        ...this.#env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    this.#exited = new Promise((resolveExit) =>
      child.once('exit', (code, signal) => resolveExit({ code, signal })),
    );
    const collect = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim() !== '') this.output.push(line);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    await this.#waitHealthy();
  }

  async #waitHealthy(): Promise<void> {
    const deadline = Date.now() + this.#startTimeoutMs;
    let exited = false;
    void this.#exited?.then(() => {
      exited = true;
    });
    while (Date.now() < deadline) {
      if (exited)
        throw new Error(`relay exited during start:\n${this.output.slice(-20).join('\n')}`);
      try {
        const res = await fetch(`${this.url}/healthz`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(
      `relay did not become healthy in ${this.#startTimeoutMs} ms:\n${this.output.slice(-20).join('\n')}`,
    );
  }

  /** SIGTERM and wait for a clean exit (graceful shutdown). */
  async stop(timeoutMs = 15_000): Promise<Exit> {
    return this.#signal('SIGTERM', timeoutMs);
  }

  /** kill -9: no shutdown code runs. */
  async kill9(): Promise<Exit> {
    return this.#signal('SIGKILL', 10_000);
  }

  async #signal(signal: NodeJS.Signals, timeoutMs: number): Promise<Exit> {
    const child = this.#child;
    const exited = this.#exited;
    if (child === undefined || exited === undefined) return { code: null, signal: null };
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const result = await Promise.race([
      exited,
      new Promise<Exit>((resolveExit) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolveExit({ code: null, signal: 'SIGKILL' });
        }, timeoutMs);
      }),
    ]);
    if (timer !== undefined) clearTimeout(timer);
    this.#child = undefined;
    return result;
  }

  /** Starts the relay again on the same port and database. */
  async restart(): Promise<void> {
    if (this.#child !== undefined) await this.stop();
    await this.#spawn();
  }

  /** Stops the process (kill if needed) and removes the temp directory it created. */
  async dispose(): Promise<void> {
    if (this.#child !== undefined) await this.stop(5_000);
    if (this.#ownsDir !== undefined) rmSync(this.#ownsDir, { recursive: true, force: true });
  }
}
