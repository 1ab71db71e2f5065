/**
 * Opens the relay database and brings its schema up to date.
 *
 * File databases get WAL (readers never block the writer, and two relay
 * processes can share one file), a busy timeout (a second process waits for
 * the write lock instead of failing with SQLITE_BUSY), and secure_delete (a
 * deleted ciphertext is overwritten with zeros, not left readable in free
 * pages). The client keeps exactly one connection: per-connection pragmas
 * then hold for every statement, and since the embedded driver executes
 * synchronously a pool would add nothing but a second, unconfigured connection.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Client, createClient } from '@libsql/client';
import { drizzle, type LibSQLDatabase } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import * as schema from './schema.ts';

export type Db = LibSQLDatabase<typeof schema> & { readonly $client: Client };

export interface Database {
  readonly client: Client;
  readonly db: Db;
  close(): void;
}

export interface OpenOptions {
  readonly url: string;
  readonly authToken?: string | undefined;
  readonly busyTimeoutMs?: number;
  /** SQLite `synchronous` for file databases: FULL survives power loss, NORMAL only process crashes. */
  readonly synchronous?: 'FULL' | 'NORMAL';
}

const MIGRATIONS = fileURLToPath(new URL('./migrations', import.meta.url));

/** For `file:` URLs: the filesystem path, or undefined for `:memory:`. */
export function filePathOf(url: string): string | undefined {
  if (!url.startsWith('file:')) return undefined;
  const path = url.slice('file:'.length).split('?')[0] ?? '';
  if (path === '' || path === ':memory:') return undefined;
  return resolve(path);
}

export async function openDatabase(options: OpenOptions): Promise<Database> {
  const isFile = options.url.startsWith('file:');
  const path = filePathOf(options.url);
  if (path !== undefined) mkdirSync(dirname(path), { recursive: true });
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  const client = createClient({
    url: options.url,
    ...(options.authToken === undefined ? {} : { authToken: options.authToken }),
    intMode: 'number',
    concurrency: 1,
    timeout: busyTimeoutMs,
  });
  if (isFile) {
    await client.execute(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    if (path !== undefined) await client.execute('PRAGMA journal_mode = WAL');
    await client.execute(`PRAGMA synchronous = ${options.synchronous ?? 'NORMAL'}`);
    await client.execute('PRAGMA secure_delete = ON');
    await client.execute('PRAGMA foreign_keys = ON');
  }
  const db = drizzle(client, { schema });
  await migrate(db, { migrationsFolder: MIGRATIONS });
  return {
    client,
    db,
    close: () => client.close(),
  };
}
