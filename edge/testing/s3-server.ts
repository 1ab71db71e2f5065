/**
 * A throwaway S3-compatible server (s3rver, a devDependency) as a child
 * process on a free port, storing objects as files in its own temp dir, with
 * one bucket and real SigV4 checks (its fixed test credentials). Tests scan
 * `dir` for plaintext and count objects in it. `stop()` kills it and removes the dir.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './relay-process.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const S3RVER = join(ROOT, 'node_modules', 's3rver', 'bin', 's3rver.js');

export interface S3Server {
  readonly url: string;
  readonly host: string;
  readonly bucket: string;
  readonly dir: string;
  readonly pid: number | undefined;
  /** Relay environment for ATTACHMENT_STORE=s3 against this server. */
  readonly env: Readonly<Record<string, string>>;
  /** Every file under the data dir (objects and their metadata), as bytes. */
  files(): Buffer[];
  /** Object keys stored under the bucket. */
  objectKeys(): string[];
  stop(): Promise<void>;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

export async function startS3Server(bucket = 'parley-test'): Promise<S3Server> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'parley-s3-'));
  const child: ChildProcess = spawn(
    process.execPath,
    [
      S3RVER,
      '-d',
      dir,
      '-a',
      '127.0.0.1',
      '-p',
      String(port),
      '--silent',
      '--no-vhost-buckets',
      '--configure-bucket',
      bucket,
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      // Any HTTP answer (403 without credentials) means it listens.
      await fetch(`${url}/${bucket}`);
      break;
    } catch {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
        throw new Error('s3rver did not start');
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const bucketDir = join(dir, bucket);
  return {
    url,
    host: `127.0.0.1:${port}`,
    bucket,
    dir,
    pid: child.pid,
    env: {
      ATTACHMENT_STORE: 's3',
      S3_ENDPOINT: url,
      S3_BUCKET: bucket,
      S3_REGION: 'us-east-1',
      // s3rver's built-in test account.
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
    },
    files: () => walk(dir).map((p) => readFileSync(p)),
    objectKeys: () =>
      walk(bucketDir)
        .filter((p) => p.endsWith('._S3rver_object'))
        .map((p) => p.slice(bucketDir.length + 1, -'._S3rver_object'.length)),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
