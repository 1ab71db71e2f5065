/**
 * Opens the relay database and brings its schema up to date.
 *
 * Two drivers, chosen by the URL:
 *  - `file:` (and `:memory:`): @libsql/client's Node entry, which links the
 *    native `libsql` addon. It is imported dynamically, only here, so a relay
 *    pointed at a remote database never loads a native addon: edge isolates
 *    (Deno Deploy) refuse them, and a static import would fail at start even
 *    though the file driver is never used there.
 *  - `libsql:`, `https:`, `http:`, `wss:`, `ws:` (Turso, sqld): the web client,
 *    Hrana over `fetch`/WebSocket, pure JavaScript and no filesystem.
 *
 * File databases get WAL (readers never block the writer, and two relay
 * processes can share one file), a busy timeout (a second process waits for
 * the write lock instead of failing with SQLITE_BUSY), and secure_delete (a
 * deleted ciphertext is overwritten with zeros, not left readable in free
 * pages). The client keeps exactly one connection: per-connection pragmas
 * then hold for every statement, and since the embedded driver executes
 * synchronously a pool would add nothing but a second, unconfigured connection.
 * A remote database's pragmas are the server's business (see docs/relay.md,
 * "What deleted means on Turso").
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client, Config } from '@libsql/client';
import type { LibSQLDatabase } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import { drizzle } from 'drizzle-orm/libsql/web';
import { groupReads } from './remote-reads.ts';
import * as schema from './schema.ts';

export type Db = LibSQLDatabase<typeof schema> & { readonly $client: Client };

export interface Database {
  readonly client: Client;
  readonly db: Db;
  /** `file` for the embedded driver, `remote` for Hrana over the network. */
  readonly kind: DatabaseKind;
  close(): void;
}

export type DatabaseKind = 'file' | 'remote';

export interface OpenOptions {
  readonly url: string;
  readonly authToken?: string | undefined;
  readonly busyTimeoutMs?: number;
  /** SQLite `synchronous` for file databases: FULL survives power loss, NORMAL only process crashes. */
  readonly synchronous?: 'FULL' | 'NORMAL';
  /** Remote databases: the fetch the web client uses (tests count round trips with it). */
  readonly fetch?: typeof fetch;
}

const MIGRATIONS = fileURLToPath(new URL('./migrations', import.meta.url));

const REMOTE_SCHEMES = ['libsql:', 'https:', 'http:', 'wss:', 'ws:'] as const;

/** Which driver a LIBSQL_URL needs, or undefined for a scheme neither driver speaks. */
export function databaseKindOf(url: string): DatabaseKind | undefined {
  if (url.startsWith('file:') || url === ':memory:') return 'file';
  return REMOTE_SCHEMES.some((scheme) => url.startsWith(scheme)) ? 'remote' : undefined;
}

/** For `file:` URLs: the filesystem path, or undefined for `:memory:`. */
export function filePathOf(url: string): string | undefined {
  if (!url.startsWith('file:')) return undefined;
  const path = url.slice('file:'.length).split('?')[0] ?? '';
  if (path === '' || path === ':memory:') return undefined;
  return resolve(path);
}

async function createFileClient(config: Config): Promise<Client> {
  // The only import of the native driver: never reached for remote URLs.
  const native = await import('@libsql/client');
  return native.createClient(config);
}

async function createRemoteClient(config: Config): Promise<Client> {
  const web = await import('@libsql/client/web');
  return web.createClient(config);
}

export async function openDatabase(options: OpenOptions): Promise<Database> {
  const kind = databaseKindOf(options.url);
  if (kind === undefined) {
    throw new TypeError(
      `Cannot open database: unsupported URL scheme in "${options.url.split(':')[0]}:" (expected file:, libsql:, https: or wss:)`,
    );
  }
  const path = filePathOf(options.url);
  if (path !== undefined) mkdirSync(dirname(path), { recursive: true });
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  const config: Config = {
    url: options.url,
    ...(options.authToken === undefined ? {} : { authToken: options.authToken }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    intMode: 'number',
    // Remote: requests are independent HTTP calls; several may be in flight (reads beside a
    // group commit). File: one connection, synchronous anyway.
    concurrency: kind === 'file' ? 1 : 20,
    timeout: busyTimeoutMs,
  };
  const client =
    kind === 'file'
      ? await createFileClient(config)
      : groupReads(await createRemoteClient(config)).client;
  if (kind === 'file') {
    await client.execute(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    if (path !== undefined) await client.execute('PRAGMA journal_mode = WAL');
    await client.execute(`PRAGMA synchronous = ${options.synchronous ?? 'NORMAL'}`);
    await client.execute('PRAGMA secure_delete = ON');
    await client.execute('PRAGMA foreign_keys = ON');
  }
  const db = drizzle(client, { schema }) as Db;
  await migrate(db, { migrationsFolder: MIGRATIONS });
  return {
    client,
    db,
    kind,
    close: () => client.close(),
  };
}
