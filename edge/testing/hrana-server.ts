/**
 * TEST INFRASTRUCTURE, NOT PRODUCT — never shipped, never exposed. A small
 * HTTP server that speaks Turso's documented Hrana protocol (JSON pipeline
 * endpoint of Hrana 2 and 3, tursodatabase/libsql docs/HRANA_3_SPEC.md) in
 * front of a real SQLite file, so the relay's remote-database path (the web
 * client, `@libsql/client/web`) runs against real SQLite semantics in tests
 * and benchmarks without any network. It has no notion of Turso accounts,
 * replication, limits or TLS.
 *
 * What it serves:
 *  - `GET /v2`, `GET /v3` -> 200 (version probes); `GET /v3-protobuf` -> 404,
 *    so clients fall back to JSON (this server speaks no protobuf);
 *  - `POST /v2/pipeline` and `POST /v3/pipeline` with
 *    `{"baton": string|null, "requests": [...]}` -> `{"baton", "base_url",
 *    "results": [{"type":"ok","response":...} | {"type":"error","error":...}]}`
 *    for the requests `execute`, `batch` (with `ok`/`error`/`not`/`and`/`or`/
 *    `is_autocommit` conditions), `sequence`, `describe`, `store_sql`,
 *    `close_sql`, `get_autocommit` and `close`.
 *
 * A stream is a connection of its own (as on sqld): an interactive
 * transaction spans requests through the baton. A request that finds the
 * write lock held by another stream waits for it asynchronously (a busy
 * handler would block this single-threaded server and deadlock it against the
 * stream holding the lock). Connections get WAL, foreign keys and
 * secure_delete like the relay's own file database.
 *
 * `delayMs` holds every HTTP answer back by that much: the round trip
 * between an edge region and its database. `roundTrips` counts pipeline
 * requests, for benchmarks.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { NativeDatabase } from '../db/native-sqlite.ts';

export interface HranaServerOptions {
  /** The SQLite file the streams open. */
  readonly path: string;
  /** Required bearer token; undefined accepts any request. */
  readonly token?: string;
  /** Added to every HTTP answer (default 0). */
  readonly delayMs?: number;
  readonly port?: number;
}

export interface HranaServer {
  readonly url: string;
  readonly port: number;
  /** Pipeline requests answered (HTTP round trips to the database). */
  readonly roundTrips: number;
  /** Statements executed (batch steps included). */
  readonly statements: number;
  /** Open streams (connections held between requests). */
  readonly openStreams: number;
  close(): Promise<void>;
}

type HranaValue =
  | { readonly type: 'null' }
  | { readonly type: 'integer'; readonly value: string }
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'text'; readonly value: string }
  | { readonly type: 'blob'; readonly base64: string };

interface HranaStmt {
  readonly sql?: string;
  readonly sql_id?: number;
  readonly args?: readonly HranaValue[];
  readonly named_args?: readonly { readonly name: string; readonly value: HranaValue }[];
  readonly want_rows?: boolean;
}

type BatchCond =
  | { readonly type: 'ok' | 'error'; readonly step: number }
  | { readonly type: 'not'; readonly cond: BatchCond }
  | { readonly type: 'and' | 'or'; readonly conds: readonly BatchCond[] }
  | { readonly type: 'is_autocommit' };

interface BatchStep {
  readonly condition?: BatchCond | null;
  readonly stmt: HranaStmt;
}

type StreamRequest =
  | { readonly type: 'close' }
  | { readonly type: 'execute'; readonly stmt: HranaStmt }
  | { readonly type: 'batch'; readonly batch: { readonly steps: readonly BatchStep[] } }
  | { readonly type: 'sequence'; readonly sql?: string; readonly sql_id?: number }
  | { readonly type: 'describe'; readonly sql?: string; readonly sql_id?: number }
  | { readonly type: 'store_sql'; readonly sql_id: number; readonly sql: string }
  | { readonly type: 'close_sql'; readonly sql_id: number }
  | { readonly type: 'get_autocommit' };

interface StmtResult {
  cols: { name: string; decltype: string | null }[];
  rows: HranaValue[][];
  affected_row_count: number;
  last_insert_rowid: string | null;
}

interface HranaError {
  readonly message: string;
  readonly code: string;
}

/** A protocol violation: the whole HTTP request fails (400), as on sqld. */
class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

interface RawStatement {
  raw(on?: boolean): RawStatement;
  safeIntegers(on?: boolean): RawStatement;
  readonly reader: boolean;
  columns(): { name: string; type: string | null }[];
  all(args: unknown): unknown[][];
  run(args: unknown): { changes: number; lastInsertRowid: number | bigint };
}

interface Stream {
  readonly db: NativeDatabase;
  readonly sqls: Map<number, string>;
  /** Closes the stream if the client vanishes mid-transaction (sqld does the same). */
  idleTimer: ReturnType<typeof setTimeout> | undefined;
}

const STREAM_IDLE_MS = 10_000;
const BUSY_WAIT_MS = 5_000;

function loadDriver(): new (path: string, options: { timeout: number }) => NativeDatabase {
  const require = createRequire(import.meta.resolve('@libsql/client'));
  return require('libsql') as new (
    path: string,
    options: { timeout: number },
  ) => NativeDatabase;
}

function fromValue(value: HranaValue): unknown {
  switch (value.type) {
    case 'null':
      return null;
    case 'integer':
      return BigInt(value.value);
    case 'float':
      return value.value;
    case 'text':
      return value.value;
    case 'blob':
      return Buffer.from(value.base64, 'base64');
    default:
      throw new ProtocolError(
        `Cannot decode value: unknown type (${(value as { type: string }).type})`,
      );
  }
}

function toValue(value: unknown): HranaValue {
  if (value === null || value === undefined) return { type: 'null' };
  if (typeof value === 'bigint') return { type: 'integer', value: value.toString() };
  // Integers arrive as bigint (safeIntegers): a number is a REAL, even 5.0.
  if (typeof value === 'number') return { type: 'float', value };
  if (typeof value === 'string') return { type: 'text', value };
  if (value instanceof Uint8Array)
    return { type: 'blob', base64: Buffer.from(value).toString('base64') };
  throw new TypeError(`hrana-server: cannot encode a ${typeof value}`);
}

function errorOf(error: unknown): HranaError {
  const code = (error as { code?: unknown } | null)?.code;
  return {
    message: error instanceof Error ? error.message : String(error),
    code: typeof code === 'string' ? code : 'UNKNOWN',
  };
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  // BUSY_SNAPSHOT cannot succeed by waiting: the transaction must restart.
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startHranaServer(options: HranaServerOptions): Promise<HranaServer> {
  const Driver = loadDriver();
  const delayMs = options.delayMs ?? 0;
  const streams = new Map<string, Stream>();
  const idle: NativeDatabase[] = [];
  let roundTrips = 0;
  let statements = 0;

  function connect(): NativeDatabase {
    const pooled = idle.pop();
    if (pooled !== undefined) return pooled;
    const db = new Driver(options.path, { timeout: 0 });
    db.exec('PRAGMA busy_timeout = 0');
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    db.exec('PRAGMA secure_delete = ON');
    db.exec('PRAGMA foreign_keys = ON');
    return db;
  }

  function release(stream: Stream): void {
    if (stream.idleTimer !== undefined) clearTimeout(stream.idleTimer);
    try {
      if (stream.db.inTransaction) stream.db.exec('ROLLBACK');
      if (idle.length < 16) idle.push(stream.db);
      else stream.db.close();
    } catch {
      stream.db.close();
    }
  }

  function sqlOf(stream: Stream, sql: string | undefined, sqlId: number | undefined): string {
    if (sql !== undefined) return sql;
    const stored = sqlId === undefined ? undefined : stream.sqls.get(sqlId);
    if (stored === undefined)
      throw new ProtocolError(`Cannot find SQL text: unknown sql_id (${sqlId})`);
    return stored;
  }

  /** Runs `fn`, waiting (without blocking the loop) while another stream holds the lock. */
  async function withBusyWait<T>(fn: () => T): Promise<T> {
    const deadline = Date.now() + BUSY_WAIT_MS;
    for (let delay = 1; ; delay = Math.min(8, delay * 2)) {
      try {
        return fn();
      } catch (error) {
        if (!isBusy(error) || Date.now() > deadline) throw error;
      }
      await sleep(delay);
    }
  }

  function runStmt(stream: Stream, stmt: HranaStmt): StmtResult {
    statements++;
    const sql = sqlOf(stream, stmt.sql, stmt.sql_id);
    const prepared = (stream.db.prepare(sql) as unknown as RawStatement).safeIntegers(true);
    let args: unknown = (stmt.args ?? []).map(fromValue);
    if (stmt.named_args !== undefined && stmt.named_args.length > 0) {
      const named: Record<string, unknown> = {};
      for (const { name, value } of stmt.named_args)
        named[name.replace(/^[:@$]/, '')] = fromValue(value);
      args = named;
    }
    if (prepared.reader) {
      const before = stream.db.prepare('SELECT total_changes()').raw(true).get([]) as [number];
      const rows = prepared.raw(true).all(args);
      const after = stream.db
        .prepare('SELECT total_changes(), last_insert_rowid()')
        .raw(true)
        .get([]) as [number, number];
      const changes = Number(after[0]) - Number(before[0]);
      return {
        cols: prepared.columns().map((c) => ({ name: c.name, decltype: c.type ?? null })),
        rows: stmt.want_rows === false ? [] : rows.map((row) => row.map(toValue)),
        affected_row_count: changes,
        last_insert_rowid: changes > 0 ? String(after[1]) : null,
      };
    }
    const info = prepared.run(args);
    return {
      cols: [],
      rows: [],
      affected_row_count: info.changes,
      last_insert_rowid: info.changes > 0 ? String(info.lastInsertRowid) : null,
    };
  }

  function condition(
    stream: Stream,
    cond: BatchCond,
    outcomes: readonly ('ok' | 'error' | undefined)[],
  ): boolean {
    switch (cond.type) {
      case 'ok':
        return outcomes[cond.step] === 'ok';
      case 'error':
        return outcomes[cond.step] === 'error';
      case 'not':
        return !condition(stream, cond.cond, outcomes);
      case 'and':
        return cond.conds.every((c) => condition(stream, c, outcomes));
      case 'or':
        return cond.conds.some((c) => condition(stream, c, outcomes));
      case 'is_autocommit':
        return !stream.db.inTransaction;
      default:
        throw new ProtocolError(
          `Cannot evaluate batch condition: unknown type (${(cond as { type: string }).type})`,
        );
    }
  }

  async function handle(stream: Stream, request: StreamRequest): Promise<unknown> {
    switch (request.type) {
      case 'close':
        return { type: 'close' };
      case 'execute':
        return { type: 'execute', result: await withBusyWait(() => runStmt(stream, request.stmt)) };
      case 'batch': {
        const outcomes: ('ok' | 'error' | undefined)[] = [];
        const stepResults: (StmtResult | null)[] = [];
        const stepErrors: (HranaError | null)[] = [];
        for (const step of request.batch.steps) {
          if (step.condition != null && !condition(stream, step.condition, outcomes)) {
            outcomes.push(undefined);
            stepResults.push(null);
            stepErrors.push(null);
            continue;
          }
          try {
            stepResults.push(await withBusyWait(() => runStmt(stream, step.stmt)));
            stepErrors.push(null);
            outcomes.push('ok');
          } catch (error) {
            if (error instanceof ProtocolError) throw error;
            stepResults.push(null);
            stepErrors.push(errorOf(error));
            outcomes.push('error');
          }
        }
        return { type: 'batch', result: { step_results: stepResults, step_errors: stepErrors } };
      }
      case 'sequence': {
        const sql = sqlOf(stream, request.sql, request.sql_id);
        await withBusyWait(() => stream.db.exec(sql));
        return { type: 'sequence' };
      }
      case 'describe': {
        const sql = sqlOf(stream, request.sql, request.sql_id);
        const prepared = stream.db.prepare(sql) as unknown as RawStatement;
        return {
          type: 'describe',
          result: {
            params: [],
            cols: prepared.reader
              ? prepared.columns().map((c) => ({ name: c.name, decltype: c.type ?? null }))
              : [],
            is_explain: /^\s*explain\b/i.test(sql),
            is_readonly: !prepared.reader ? false : /^\s*(select|with)\b/i.test(sql),
          },
        };
      }
      case 'store_sql':
        stream.sqls.set(request.sql_id, request.sql);
        return { type: 'store_sql' };
      case 'close_sql':
        stream.sqls.delete(request.sql_id);
        return { type: 'close_sql' };
      case 'get_autocommit':
        return { type: 'get_autocommit', is_autocommit: !stream.db.inTransaction };
      default:
        throw new ProtocolError(
          `Cannot handle stream request: unknown type (${(request as { type: string }).type})`,
        );
    }
  }

  async function pipeline(body: unknown): Promise<unknown> {
    const { baton, requests } = (body ?? {}) as { baton?: unknown; requests?: unknown };
    if (!Array.isArray(requests))
      throw new ProtocolError('Cannot read pipeline: no requests array');
    let stream: Stream;
    if (baton === null || baton === undefined) {
      stream = { db: connect(), sqls: new Map(), idleTimer: undefined };
    } else {
      const found = typeof baton === 'string' ? streams.get(baton) : undefined;
      if (found === undefined)
        throw new ProtocolError('Cannot resume stream: unknown or expired baton');
      streams.delete(baton as string);
      if (found.idleTimer !== undefined) clearTimeout(found.idleTimer);
      stream = found;
    }
    const results: unknown[] = [];
    let closed = false;
    try {
      for (const request of requests as StreamRequest[]) {
        if (closed) throw new ProtocolError('Cannot handle request: stream already closed');
        try {
          results.push({ type: 'ok', response: await handle(stream, request) });
        } catch (error) {
          if (error instanceof ProtocolError) throw error;
          results.push({ type: 'error', error: errorOf(error) });
        }
        if (request.type === 'close') closed = true;
      }
    } catch (error) {
      release(stream);
      throw error;
    }
    if (closed) {
      release(stream);
      return { baton: null, base_url: null, results };
    }
    const next = randomBytes(12).toString('base64url');
    stream.idleTimer = setTimeout(() => {
      streams.delete(next);
      release(stream);
    }, STREAM_IDLE_MS);
    streams.set(next, stream);
    return { baton: next, base_url: null, results };
  }

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const reply = async (status: number, body: unknown) => {
      if (delayMs > 0) await sleep(delayMs);
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (
      options.token !== undefined &&
      request.headers.authorization !== `Bearer ${options.token}`
    ) {
      await reply(401, { message: 'Unauthorized' });
      return;
    }
    const path = (request.url ?? '/').split('?')[0];
    if (request.method === 'GET') {
      if (path === '/v2' || path === '/v3' || path === '/health') await reply(200, {});
      else await reply(404, { message: 'Not found' });
      return;
    }
    if (request.method !== 'POST' || (path !== '/v2/pipeline' && path !== '/v3/pipeline')) {
      await reply(404, { message: 'Not found' });
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    roundTrips++;
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
      await reply(200, await pipeline(body));
    } catch (error) {
      await reply(400, { message: error instanceof Error ? error.message : String(error) });
    }
  }

  const server: Server = createServer((request, response) => {
    serve(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get roundTrips() {
      return roundTrips;
    },
    get statements() {
      return statements;
    },
    get openStreams() {
      return streams.size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const [baton, stream] of streams) {
          streams.delete(baton);
          release(stream);
        }
        for (const db of idle.splice(0)) db.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
