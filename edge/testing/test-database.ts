/**
 * TEST INFRASTRUCTURE. The two databases a relay process test can run
 * against: a libSQL file opened by the relay itself (the native driver), or
 * the same kind of file behind the Hrana test server, which the relay reaches
 * over HTTP with the web client — the path it takes on Deno Deploy + Turso.
 * Either way `path` is the SQLite file, so tests can inspect its bytes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type HranaServer, startHranaServer } from './hrana-server.ts';

export type DatabaseBackend = 'file' | 'hrana';

export const BACKENDS: readonly DatabaseBackend[] = ['file', 'hrana'];

export interface TestDatabase {
  readonly backend: DatabaseBackend;
  /** The SQLite file (the relay's own, or the one behind the Hrana server). */
  readonly path: string;
  /** Spread into RelayProcess.start options. */
  readonly relayOptions: { readonly dbPath: string; readonly libsqlUrl?: string };
  readonly hrana: HranaServer | undefined;
  /** `host:port` of the database endpoint, for a sandboxed relay's --allow-net. */
  readonly endpoint: string | undefined;
  dispose(): Promise<void>;
}

export async function startTestDatabase(
  backend: DatabaseBackend,
  options: { readonly delayMs?: number } = {},
): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), `parley-${backend}-db-`));
  const path = join(dir, 'relay.db');
  const hrana =
    backend === 'hrana'
      ? await startHranaServer({
          path,
          ...(options.delayMs === undefined ? {} : { delayMs: options.delayMs }),
        })
      : undefined;
  return {
    backend,
    path,
    relayOptions: hrana === undefined ? { dbPath: path } : { dbPath: path, libsqlUrl: hrana.url },
    hrana,
    endpoint: hrana === undefined ? undefined : `127.0.0.1:${hrana.port}`,
    dispose: async () => {
      await hrana?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
