/**
 * The message hot path's view of the queue: enqueue (group-committed),
 * acknowledge (group-committed with the enqueues), and read pending rows.
 *
 * Two backends behind one interface:
 *  - file databases: a dedicated native connection with statements prepared
 *    once (native-sqlite.ts explains why);
 *  - remote (Turso) and in-memory databases: the shared @libsql/client, one
 *    `batch` (a write transaction) per group commit.
 *
 * Each copy is written by one guarded statement: nothing is stored for a
 * device that no longer exists (it was removed between the sender's
 * device-list check and the commit), nothing for a recipient who blocked the
 * sender, and nothing twice for the same (recipient, sender device, client
 * message id) - a resend after a lost `stored` is a no-op.
 */
import type { Client, InStatement, InValue } from '@libsql/client';
import { GroupCommit } from './group-commit.ts';
import { type NativeDatabase, type NativeStatement, openNative } from './native-sqlite.ts';
import type { Db } from './open.ts';
import type { DeviceUsage, NewQueueRow, QueueRow } from './queue.ts';

/** A copy that was written: its index in the enqueued rows and its queue seq. */
export interface StoredCopy {
  readonly index: number;
  readonly seq: number;
}

export interface QueueStore {
  /** Stores every copy of one send (all or nothing); resolves after the commit with the copies written. */
  enqueue(rows: readonly NewQueueRow[]): Promise<StoredCopy[]>;
  /**
   * Changes whenever this process sees that another writer (another relay
   * process) inserted queue rows since its own previous commit; undefined
   * when the store cannot tell (remote databases). While it is unchanged,
   * every row this process commits has a higher seq than any row a reader
   * of this process has already seen, so a socket that had read its queue
   * to the end may send a freshly committed row without reading it back.
   */
  readonly writerEpoch: number | undefined;
  /** Deletes acknowledged rows of one device (other devices' seqs never match). */
  acknowledge(accountId: string, deviceId: number, seqs: readonly number[]): Promise<number>;
  /** Unexpired rows for one device after `afterSeq`, oldest first. */
  pending(
    accountId: string,
    deviceId: number,
    afterSeq: number,
    now: number,
    limit: number,
  ): Promise<QueueRow[]>;
  /** What is queued for every device of these accounts (devices with nothing queued are absent). */
  usage(accounts: readonly string[]): Promise<DeviceUsage[]>;
  /** Which of these accounts block `sender` (read on the hot-path connection, like `usage`). */
  blockersOf(sender: string, accounts: readonly string[]): Promise<Set<string>>;
  /**
   * Bytes of the database in use (pages minus free pages), for the disk
   * watermark; undefined when the database cannot tell (remote).
   */
  databaseBytes(): Promise<number | undefined>;
  /** Size of the last group commit (observability). */
  readonly lastBatchSize: number;
  /**
   * Checkpoints the write-ahead log into the database file and truncates it,
   * without waiting for a lock: 'busy' when another connection was in the way
   * (try again later), 'none' for databases without a local log (remote).
   */
  truncateWal(): Promise<WalCheckpoint>;
  close(): void;
}

export type WalCheckpoint = 'done' | 'busy' | 'none';

type Write =
  | { readonly kind: 'insert'; readonly rows: readonly NewQueueRow[] }
  | {
      readonly kind: 'ack';
      readonly accountId: string;
      readonly deviceId: number;
      readonly seqs: readonly number[];
    };
type WriteResult = StoredCopy[] | number;

/** ?10 is the shared body's id (null for an inline body), ?11 the body's length. */
const insertSql = (bodyId: string) => `INSERT INTO queue (recipient_account, recipient_device,
    sender_account, sender_device, client_message_id, ciphertext, created_at, expires_at,
    sender_expires_at, body_id, size)
  SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ${bodyId}, ?11
  WHERE EXISTS (SELECT 1 FROM devices WHERE account_id = ?1 AND device_id = ?2)
    AND NOT EXISTS (SELECT 1 FROM blocks WHERE account_id = ?1 AND blocked = ?3)
  ON CONFLICT DO NOTHING
  RETURNING seq`;
const INSERT_SQL = insertSql('?10');
/** In a client batch the body's id is not known to the statement: it is the newest body. */
const INSERT_SHARED_SQL = insertSql('(SELECT max(id) FROM queue_bodies)');
const INSERT_BODY_SQL = 'INSERT INTO queue_bodies (data) VALUES (?) RETURNING id';
/** A shared body no copy ended up referencing (all blocked, removed or resent). */
const DROP_BODY_SQL =
  'DELETE FROM queue_bodies WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM queue WHERE body_id = ?1)';
const DROP_NEWEST_BODY_SQL = `DELETE FROM queue_bodies WHERE id = (SELECT max(id) FROM queue_bodies)
  AND NOT EXISTS (SELECT 1 FROM queue WHERE body_id = queue_bodies.id)`;
const ACK_SQL =
  'DELETE FROM queue WHERE seq = ? AND recipient_account = ? AND recipient_device = ?';
const PENDING_SQL = `SELECT q.seq, q.sender_account, q.sender_device, q.client_message_id,
    coalesce(b.data, q.ciphertext), q.created_at, q.expires_at, q.sender_expires_at
  FROM queue q LEFT JOIN queue_bodies b ON b.id = q.body_id
  WHERE q.recipient_account = ? AND q.recipient_device = ? AND q.seq > ? AND q.expires_at > ?
  ORDER BY q.seq LIMIT ?`;
const USAGE_SQL = `SELECT recipient_account, recipient_device, count, bytes FROM queue_usage
  WHERE recipient_account IN (SELECT value FROM json_each(?))`;
const BLOCKERS_SQL = `SELECT account_id FROM blocks
  WHERE blocked = ? AND account_id IN (SELECT value FROM json_each(?))`;

const EMPTY = new Uint8Array(0);

/** The body written once for the copies marked `shared` (undefined when fewer than two share it). */
function sharedBodyOf(rows: readonly NewQueueRow[]): Uint8Array | undefined {
  let body: Uint8Array | undefined;
  let n = 0;
  for (const r of rows) {
    if (r.shared !== true) continue;
    body ??= r.ciphertext;
    n++;
  }
  return n >= 2 ? body : undefined;
}

function insertArgs(r: NewQueueRow, bodyId: number | null, shared: boolean): unknown[] {
  return [
    r.recipientAccount,
    r.recipientDevice,
    r.senderAccount,
    r.senderDevice,
    r.clientMessageId,
    shared ? EMPTY : r.ciphertext,
    r.createdAt,
    r.expiresAt,
    r.senderExpiresAt ?? null,
    bodyId,
    r.ciphertext.length,
  ];
}

function usageOf(raw: readonly unknown[]): DeviceUsage {
  return {
    account: String(raw[0]),
    device: Number(raw[1]),
    count: Number(raw[2]),
    bytes: Number(raw[3]),
  };
}

function bytesOf(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  throw new TypeError('queue: expected a blob column');
}

function rowOf(accountId: string, deviceId: number, raw: readonly unknown[]): QueueRow {
  const senderExpiresAt = raw[7];
  return {
    seq: Number(raw[0]),
    recipientAccount: accountId,
    recipientDevice: deviceId,
    senderAccount: String(raw[1]),
    senderDevice: Number(raw[2]),
    clientMessageId: bytesOf(raw[3]),
    ciphertext: bytesOf(raw[4]),
    createdAt: Number(raw[5]),
    expiresAt: Number(raw[6]),
    senderExpiresAt: senderExpiresAt === null ? null : Number(senderExpiresAt),
  };
}

/** SQLITE_BUSY (and its extended codes): another connection holds the lock. */
function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

async function retryRead<T>(read: () => T): Promise<T> {
  for (let delay = 1; ; delay = Math.min(50, delay * 2)) {
    await new Promise((resolve) => setTimeout(resolve, delay));
    try {
      return read();
    } catch (error) {
      if (!isBusy(error) || delay >= 50) throw error;
    }
  }
}

/**
 * What both backends share: the writes of one event-loop turn go into one
 * group commit (`writer`, built by each backend around its own transaction).
 */
abstract class GroupCommittedStore {
  protected abstract readonly writer: GroupCommit<Write, WriteResult>;

  enqueue(rows: readonly NewQueueRow[]): Promise<StoredCopy[]> {
    if (rows.length === 0) return Promise.resolve([]);
    return this.writer.submit({ kind: 'insert', rows }) as Promise<StoredCopy[]>;
  }

  acknowledge(accountId: string, deviceId: number, seqs: readonly number[]): Promise<number> {
    if (seqs.length === 0) return Promise.resolve(0);
    return this.writer.submit({ kind: 'ack', accountId, deviceId, seqs }) as Promise<number>;
  }

  get lastBatchSize(): number {
    return this.writer.lastBatchSize;
  }
}

/** Statements prepared once on the dedicated connection; writes run synchronously per batch. */
class NativeQueueStore extends GroupCommittedStore implements QueueStore {
  readonly #db: NativeDatabase;
  readonly #begin: NativeStatement;
  readonly #commit: NativeStatement;
  readonly #insert: NativeStatement;
  readonly #ack: NativeStatement;
  readonly #pending: NativeStatement;
  readonly #lastSeq: NativeStatement;
  readonly #truncateWal: NativeStatement;
  readonly #insertBody: NativeStatement;
  readonly #dropBody: NativeStatement;
  readonly #usage: NativeStatement;
  readonly #blockers: NativeStatement;
  readonly #pages: NativeStatement;
  readonly #freePages: NativeStatement;
  readonly #pageSize: NativeStatement;
  protected readonly writer: GroupCommit<Write, WriteResult>;
  /** sqlite_sequence for `queue` after our last commit (undefined before the first). */
  #seenSeq: number | undefined;
  #epoch = 0;

  constructor(db: NativeDatabase) {
    super();
    this.#db = db;
    this.#begin = db.prepare('BEGIN IMMEDIATE');
    this.#commit = db.prepare('COMMIT');
    this.#insert = db.prepare(INSERT_SQL).raw(true);
    this.#ack = db.prepare(ACK_SQL);
    this.#pending = db.prepare(PENDING_SQL).raw(true);
    this.#lastSeq = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'queue'").raw(true);
    this.#truncateWal = db.prepare('PRAGMA wal_checkpoint(TRUNCATE)').raw(true);
    this.#insertBody = db.prepare(INSERT_BODY_SQL).raw(true);
    this.#dropBody = db.prepare(DROP_BODY_SQL);
    this.#usage = db.prepare(USAGE_SQL).raw(true);
    this.#blockers = db.prepare(BLOCKERS_SQL).raw(true);
    this.#pages = db.prepare('PRAGMA page_count').raw(true);
    this.#freePages = db.prepare('PRAGMA freelist_count').raw(true);
    this.#pageSize = db.prepare('PRAGMA page_size').raw(true);
    this.writer = new GroupCommit<Write, WriteResult>({
      runBatch: (writes) => this.#transaction(() => writes.map((w) => this.#apply(w))),
      runOne: (write) => this.#transaction(() => this.#apply(write)),
      isBusy,
    });
  }

  #readLastSeq(): number {
    const row = this.#lastSeq.get([]) as readonly unknown[] | undefined;
    return row === undefined ? 0 : Number(row[0]);
  }

  #transaction<T>(fn: () => T): T {
    this.#begin.run([]);
    try {
      // Holding the write lock: if the sequence moved since our last commit, someone else wrote.
      if (this.#readLastSeq() !== this.#seenSeq) this.#epoch++;
      const result = fn();
      this.#seenSeq = this.#readLastSeq();
      this.#commit.run([]);
      return result;
    } catch (error) {
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
      this.#seenSeq = undefined; // unknown now: the next commit starts a new epoch
      throw error;
    }
  }

  #apply(write: Write): WriteResult {
    if (write.kind === 'ack') {
      let deleted = 0;
      for (const seq of write.seqs)
        deleted += this.#ack.run([seq, write.accountId, write.deviceId]).changes;
      return deleted;
    }
    const out: StoredCopy[] = [];
    const shared = sharedBodyOf(write.rows);
    let bodyId: number | null = null;
    if (shared !== undefined)
      bodyId = Number((this.#insertBody.get([shared]) as readonly unknown[])[0]);
    let referenced = false;
    write.rows.forEach((row, index) => {
      const usesShared = bodyId !== null && row.shared === true;
      const args = insertArgs(row, usesShared ? bodyId : null, usesShared);
      const inserted = this.#insert.get(args) as readonly unknown[] | undefined;
      if (inserted === undefined) return;
      referenced ||= usesShared;
      out.push({ index, seq: Number(inserted[0]) });
    });
    if (bodyId !== null && !referenced) this.#dropBody.run([bodyId]);
    return out;
  }

  usage(accounts: readonly string[]): Promise<DeviceUsage[]> {
    if (accounts.length === 0) return Promise.resolve([]);
    const read = (): DeviceUsage[] =>
      this.#usage.all([JSON.stringify(accounts)]).map((r) => usageOf(r as unknown[]));
    try {
      return Promise.resolve(read());
    } catch (error) {
      if (!isBusy(error)) return Promise.reject(error);
      return retryRead(read);
    }
  }

  blockersOf(sender: string, accounts: readonly string[]): Promise<Set<string>> {
    if (accounts.length === 0) return Promise.resolve(new Set());
    const read = (): Set<string> =>
      new Set(
        this.#blockers
          .all([sender, JSON.stringify(accounts)])
          .map((r) => String((r as unknown[])[0])),
      );
    try {
      return Promise.resolve(read());
    } catch (error) {
      if (!isBusy(error)) return Promise.reject(error);
      return retryRead(read);
    }
  }

  databaseBytes(): Promise<number | undefined> {
    const one = (statement: NativeStatement) =>
      Number((statement.get([]) as readonly unknown[] | undefined)?.[0] ?? 0);
    try {
      return Promise.resolve((one(this.#pages) - one(this.#freePages)) * one(this.#pageSize));
    } catch (error) {
      return isBusy(error) ? Promise.resolve(undefined) : Promise.reject(error);
    }
  }

  pending(
    accountId: string,
    deviceId: number,
    afterSeq: number,
    now: number,
    limit: number,
  ): Promise<QueueRow[]> {
    const read = (): QueueRow[] =>
      this.#pending
        .all([accountId, deviceId, afterSeq, now, limit])
        .map((r) => rowOf(accountId, deviceId, r as unknown[]));
    try {
      return Promise.resolve(read());
    } catch (error) {
      // WAL readers are almost never locked out; when they are, wait without blocking the loop.
      if (!isBusy(error)) return Promise.reject(error);
      return retryRead(read);
    }
  }

  get writerEpoch(): number {
    return this.#epoch;
  }

  /**
   * On this connection because it has no busy timeout. With one, a TRUNCATE
   * checkpoint sleeps in SQLite's busy handler, blocking this process's event
   * loop, and holds the write lock while it waits for other processes'
   * readers, so the writers of every relay instance stall behind it (seen as
   * SQLITE_BUSY failures in the two-instance benchmark).
   */
  truncateWal(): Promise<WalCheckpoint> {
    try {
      const row = this.#truncateWal.get([]) as readonly unknown[] | undefined;
      return Promise.resolve(row !== undefined && Number(row[0]) === 0 ? 'done' : 'busy');
    } catch (error) {
      return isBusy(error) ? Promise.resolve('busy') : Promise.reject(error);
    }
  }

  close(): void {
    this.#db.close();
  }
}

/** Remote or in-memory databases: the same statements through the shared client. */
class ClientQueueStore extends GroupCommittedStore implements QueueStore {
  readonly #client: Client;
  protected readonly writer: GroupCommit<Write, WriteResult>;

  constructor(client: Client) {
    super();
    this.#client = client;
    this.writer = new GroupCommit<Write, WriteResult>({
      runBatch: (writes) => this.#run(writes),
      runOne: async (write) => (await this.#run([write]))[0] as WriteResult,
    });
  }

  async #run(writes: readonly Write[]): Promise<WriteResult[]> {
    const statements: InStatement[] = [];
    /** Per write: whether a body statement precedes its rows (and a drop follows them). */
    const withBody: boolean[] = [];
    for (const w of writes) {
      if (w.kind === 'insert') {
        const shared = sharedBodyOf(w.rows);
        withBody.push(shared !== undefined);
        if (shared !== undefined) statements.push({ sql: INSERT_BODY_SQL, args: [shared] });
        for (const r of w.rows) {
          const usesShared = shared !== undefined && r.shared === true;
          statements.push({
            sql: usesShared ? INSERT_SHARED_SQL : INSERT_SQL,
            args: insertArgs(r, null, usesShared) as InValue[],
          });
        }
        if (shared !== undefined) statements.push({ sql: DROP_NEWEST_BODY_SQL, args: [] });
      } else {
        withBody.push(false);
        for (const seq of w.seqs)
          statements.push({ sql: ACK_SQL, args: [seq, w.accountId, w.deviceId] });
      }
    }
    const results = await this.#client.batch(statements, 'write');
    let i = 0;
    return writes.map((w, n) => {
      if (w.kind === 'ack') {
        let deleted = 0;
        for (const _ of w.seqs) deleted += results[i++]?.rowsAffected ?? 0;
        return deleted;
      }
      if (withBody[n] === true) i++;
      const out: StoredCopy[] = [];
      w.rows.forEach((_, index) => {
        const seq = results[i++]?.rows[0]?.seq;
        if (seq !== undefined && seq !== null) out.push({ index, seq: Number(seq) });
      });
      if (withBody[n] === true) i++;
      return out;
    });
  }

  async usage(accounts: readonly string[]): Promise<DeviceUsage[]> {
    if (accounts.length === 0) return [];
    const result = await this.#client.execute({
      sql: USAGE_SQL,
      args: [JSON.stringify(accounts)],
    });
    return result.rows.map((row) => usageOf(Array.from(row)));
  }

  async blockersOf(sender: string, accounts: readonly string[]): Promise<Set<string>> {
    if (accounts.length === 0) return new Set();
    const result = await this.#client.execute({
      sql: BLOCKERS_SQL,
      args: [sender, JSON.stringify(accounts)],
    });
    return new Set(result.rows.map((row) => String(row[0])));
  }

  async databaseBytes(): Promise<number | undefined> {
    try {
      const one = async (pragma: string) =>
        Number((await this.#client.execute(`PRAGMA ${pragma}`)).rows[0]?.[0] ?? 0);
      const pages = await one('page_count');
      return (pages - (await one('freelist_count'))) * (await one('page_size'));
    } catch {
      return undefined; // a remote database that does not answer pragmas: no watermark
    }
  }

  async pending(
    accountId: string,
    deviceId: number,
    afterSeq: number,
    now: number,
    limit: number,
  ): Promise<QueueRow[]> {
    const result = await this.#client.execute({
      sql: PENDING_SQL,
      args: [accountId, deviceId, afterSeq, now, limit],
    });
    return result.rows.map((row) => rowOf(accountId, deviceId, Array.from(row)));
  }

  /** A remote database gives no cheap view of other writers: always read back. */
  readonly writerEpoch = undefined;

  /** Remote and in-memory databases have no write-ahead log file here. */
  truncateWal(): Promise<WalCheckpoint> {
    return Promise.resolve('none');
  }

  close(): void {
    // The shared client is closed with the database.
  }
}

export interface QueueStoreOptions {
  /** Filesystem path of a file database; undefined for remote and in-memory ones. */
  readonly filePath: string | undefined;
  readonly synchronous: 'FULL' | 'NORMAL';
}

export function openQueueStore(db: Db, options: QueueStoreOptions): QueueStore {
  if (options.filePath === undefined) return new ClientQueueStore(db.$client);
  // No busy timeout on this connection: SQLite would sleep the event loop's thread while another
  // process holds the write lock. The group commit retries asynchronously instead.
  return new NativeQueueStore(
    openNative(options.filePath, { busyTimeoutMs: 0, synchronous: options.synchronous }),
  );
}
