/** An in-process relay on a temporary libSQL file, for `app.request()` tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemRandom } from '../../shared/crypto/random.ts';
import { type Env, parseConfig } from '../config.ts';
import { memoryLogger } from '../observability/log.ts';
import { createRelay, type Relay } from '../relay.ts';
import type { Http } from './client.ts';

export interface InProcessRelay {
  readonly relay: Relay;
  readonly http: Http;
  readonly dir: string;
  readonly dbPath: string;
  readonly log: ReturnType<typeof memoryLogger>;
  /** Runs one SQL statement on the relay's database; its rows (for tests that look at or damage what is stored). */
  sql(statement: string): Promise<Record<string, unknown>[]>;
  /** Sets the clock (ms) used by the relay; starts at the real time. */
  setNow(ms: number): void;
  now(): number;
  close(): Promise<void>;
}

export async function startInProcess(env: Env = {}, ip = '203.0.113.7'): Promise<InProcessRelay> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-relay-'));
  const dbPath = join(dir, 'relay.db');
  const config = parseConfig({ LIBSQL_URL: `file:${dbPath}`, ...env }, systemRandom);
  const log = memoryLogger('debug');
  let clock = Date.now();
  const relay = await createRelay({ config, log, now: () => clock });
  const http: Http = (path, init) =>
    Promise.resolve(relay.app.request(path, init, { remoteAddr: { hostname: ip } }));
  return {
    relay,
    http,
    dir,
    dbPath,
    log,
    async sql(statement) {
      const result = await relay.database.db.$client.execute(statement);
      return result.rows as unknown as Record<string, unknown>[];
    },
    setNow: (ms) => {
      clock = ms;
    },
    now: () => clock,
    async close() {
      await relay.close(0);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
