/**
 * Child processes of the relay benchmark: reference servers (Node), load
 * generators (forked, driven over IPC), and /proc sampling of their memory
 * and CPU. Everything listens on and talks to 127.0.0.1 only.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from './loadgen.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

/** The soft limit on open files this process (and so its children) starts with. */
export function openFileLimit(): number {
  try {
    return Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
  } catch {
    return Number.NaN;
  }
}

/** RSS of a process in MiB (0 when it is gone). */
export function rssMb(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? 0 : Number(match[1]) / 1024;
  } catch {
    return 0;
  }
}

/** CPU time (user + system) a process has used, in ms. */
export function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

export interface ServerProcess {
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/** Starts a reference server script under Node (tsx) and waits for its `listening` line. */
export async function startNodeServer(
  script: 'socketio-server.ts' | 'ws-server.ts' | 'parley-node-server.ts',
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(HERE, 'servers', script), ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${script} did not start:\n${output}`)),
      20_000,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('listening')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`${script} exited:\n${output}`));
    });
  });
  return {
    pid: child.pid,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A forked load generator; `request` sends one command and waits for its one answer. */
export class LoadGenerator {
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;

  private constructor(child: ChildProcess) {
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /**
   * Forked through `sh` so the generator can raise its own file-descriptor limit to the hard
   * limit first (each client socket is a descriptor; the idle check opens 10,000).
   */
  static start(): LoadGenerator {
    const script = join(HERE, 'loadgen.ts');
    const command = `ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "${process.execPath}" --import tsx "${script}"`;
    return new LoadGenerator(
      spawn('sh', ['-c', command], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  request<T>(command: Command, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#child.off('message', onMessage);
        reject(new Error(`load generator: ${command.cmd} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const onMessage = (message: unknown) => {
        clearTimeout(timer);
        this.#child.off('message', onMessage);
        if (typeof message === 'object' && message !== null && 'error' in message)
          reject(new Error(`load generator: ${String((message as { error: unknown }).error)}`));
        else resolve(message as T);
      };
      this.#child.on('message', onMessage);
      this.#child.send(command);
    });
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      try {
        await this.request({ cmd: 'close' }, 5000);
      } catch {
        // killed below
      }
      this.#child.kill('SIGKILL');
    }
    await this.#exited;
  }
}

/** Samples the peak RSS (sum over `pids`) every 250 ms until stopped. */
export class RssSampler {
  #peak = 0;
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(pids: () => readonly (number | undefined)[]) {
    const sample = () => {
      const total = pids().reduce<number>((sum, pid) => sum + rssMb(pid), 0);
      if (total > this.#peak) this.#peak = total;
    };
    sample();
    this.#timer = setInterval(sample, 250);
  }

  stop(): number {
    clearInterval(this.#timer);
    return this.#peak;
  }
}
