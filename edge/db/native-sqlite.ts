/**
 * A second, dedicated connection to a file database through the `libsql`
 * driver that @libsql/client itself uses, for the message hot path only.
 *
 * Why not the shared client: @libsql/client prepares every statement anew
 * and reads its column list twice per call; under Deno's Node-API layer that
 * was about a third of the relay's CPU per message (measured with
 * --cpu-prof). Here statements are prepared once and rows come back as raw
 * arrays. Both connections live in one process and one SQLite library, so
 * file locking stays coherent; the shared client never holds a transaction
 * open across an await (it only runs single statements and synchronous
 * batches), so the two connections cannot wait on each other.
 */
import { createRequire } from 'node:module';

/** The subset of the `libsql` (better-sqlite3 compatible) API the relay uses. */
export interface NativeStatement {
  raw(on?: boolean): NativeStatement;
  get(args: readonly unknown[]): unknown;
  all(args: readonly unknown[]): unknown[];
  run(args: readonly unknown[]): { changes: number };
}

export interface NativeDatabase {
  prepare(sql: string): NativeStatement;
  exec(sql: string): void;
  close(): void;
  readonly inTransaction: boolean;
}

type NativeConstructor = new (
  path: string,
  options: { readonly timeout: number },
) => NativeDatabase;

function loadDriver(): NativeConstructor {
  // Resolve `libsql` from @libsql/client's own location: it is that package's dependency.
  const require = createRequire(import.meta.resolve('@libsql/client'));
  return require('libsql') as NativeConstructor;
}

export interface NativeOpenOptions {
  readonly busyTimeoutMs: number;
  readonly synchronous: 'FULL' | 'NORMAL';
}

/** Opens `path` (already created and migrated by openDatabase) with the relay's pragmas. */
export function openNative(path: string, options: NativeOpenOptions): NativeDatabase {
  const Driver = loadDriver();
  const db = new Driver(path, { timeout: options.busyTimeoutMs });
  db.exec(`PRAGMA busy_timeout = ${Math.trunc(options.busyTimeoutMs)}`);
  db.exec(`PRAGMA synchronous = ${options.synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`);
  db.exec('PRAGMA secure_delete = ON');
  db.exec('PRAGMA foreign_keys = ON');
  return db;
}
