/**
 * Backup routes against an in-process relay with its injectable clock, driven
 * through the client's BackupRelay (shared/client/backup/backup-relay.ts):
 * pinning on first use, the two-snapshot window, the size cap, Range reads,
 * replay and clock checks, and that the stored rows name no account.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deriveBackupKeys } from '../../shared/backup/keys.ts';
import { concat, toBase64Url } from '../../shared/bytes.ts';
import { BackupRelay } from '../../shared/client/backup/backup-relay.ts';
import { ErrorCode, isParleyError } from '../../shared/errors.ts';
import { rejectionCode } from '../../shared/testing/errors.ts';
import { signBackupRequest } from '../../shared/wire/backup-request.ts';
import {
  BACKUP_CHUNK_BYTES,
  BACKUP_INCOMPLETE_MS,
  REQUEST_MAX_SKEW_MS,
} from '../../shared/wire/limits.ts';
import { completeSnapshot, putSnapshotChunk } from '../db/backups.ts';
import { type InProcessRelay, startInProcess } from '../testing/in-process.ts';

const RELAY = 'http://relay.test';
const MiB = 1024 * 1024;

function bytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

async function* pieces(data: Uint8Array, size = 300_000): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of source) parts.push(part);
  return concat(...parts);
}

describe('backup store', () => {
  let t: InProcessRelay;

  async function client(recoveryByte: number, env: { now?: () => number } = {}) {
    const keys = await deriveBackupKeys(new Uint8Array(32).fill(recoveryByte), 'some-account');
    const relay = new BackupRelay({
      relayUrl: RELAY,
      fetch: (input, init) =>
        Promise.resolve(
          t.relay.app.request(input, init, { remoteAddr: { hostname: '198.51.100.4' } }),
        ),
      backupId: keys.backupId,
      auth: keys.auth,
      now: env.now ?? (() => t.now()),
    });
    return { keys, relay };
  }

  beforeEach(async () => {
    t = await startInProcess({ BACKUP_MAX_BYTES: String(4 * MiB) });
  });
  afterEach(async () => {
    await t.close();
  });

  it('stores a snapshot in chunks and gives it back byte for byte, with Range reads', async () => {
    const { relay, keys } = await client(1);
    expect(await relay.list()).toEqual([]);
    const data = bytes(2 * BACKUP_CHUNK_BYTES + 12_345, 7);
    const storedAt = t.now() + 60_000;
    t.setNow(storedAt);
    const info = await relay.upload(1, pieces(data));
    expect(info).toEqual({
      seq: 1,
      size: data.length,
      chunks: 3,
      chunkBytes: BACKUP_CHUNK_BYTES,
      storedAt,
    });
    expect(await relay.list()).toEqual([info]);
    expect(await collect(relay.download(info))).toEqual(data);

    const path = `/v1/backups/${toBase64Url(keys.backupId)}/snapshots/1/chunks/2`;
    const authorization = await signBackupRequest(
      keys.auth,
      { method: 'GET', path, body: new Uint8Array(0) },
      t.now() + 1000,
    );
    const partial = await t.http(path, { headers: { authorization, range: 'bytes=10-19' } });
    expect(partial.status).toBe(206);
    expect(partial.headers.get('content-range')).toBe('bytes 10-19/12345');
    expect(new Uint8Array(await partial.arrayBuffer())).toEqual(
      data.subarray(2 * BACKUP_CHUNK_BYTES + 10, 2 * BACKUP_CHUNK_BYTES + 20),
    );
  });

  it('keeps the two snapshots with the highest seq: a third deletes the oldest with its chunks', async () => {
    const { relay, keys } = await client(2);
    for (const seq of [1, 2, 3]) await relay.upload(seq, pieces(bytes(1000 * seq, seq)));
    expect((await relay.list()).map((s) => s.seq)).toEqual([3, 2]);
    const id = toBase64Url(keys.backupId);
    const chunkSeqs = await t.sql(
      `SELECT DISTINCT seq FROM backup_chunks WHERE backup_id = '${id}'`,
    );
    expect(chunkSeqs.map((r) => Number(r.seq)).sort()).toEqual([2, 3]);
    expect(await collect(relay.download({ seq: 3, chunks: 1 }))).toEqual(bytes(3000, 3));
  });

  it('drops an unfinished upload when the next one starts, and never lists it', async () => {
    const { relay, keys } = await client(3);
    await relay.upload(1, pieces(bytes(500, 1)));
    const unfinished = (async function* () {
      yield bytes(BACKUP_CHUNK_BYTES, 2);
      throw new Error('the browser closed');
    })();
    await expect(relay.upload(2, unfinished)).rejects.toThrow('the browser closed');
    expect((await relay.list()).map((s) => s.seq)).toEqual([1]);
    await relay.upload(3, pieces(bytes(500, 3)));
    const id = toBase64Url(keys.backupId);
    const seqs = await t.sql(`SELECT seq FROM backup_snapshots WHERE backup_id = '${id}'`);
    expect(seqs.map((r) => Number(r.seq)).sort()).toEqual([1, 3]);
    const chunkSeqs = await t.sql(
      `SELECT DISTINCT seq FROM backup_chunks WHERE backup_id = '${id}'`,
    );
    expect(chunkSeqs.map((r) => Number(r.seq)).sort()).toEqual([1, 3]);
  });

  it('keeps one upload in flight per backup id: the one a newer start replaced is 404', async () => {
    const { keys } = await client(16);
    const id = toBase64Url(keys.backupId);
    let ts = t.now();
    const send = async (method: string, path: string, body: Uint8Array) => {
      const authorization = await signBackupRequest(keys.auth, { method, path, body }, ++ts);
      const headers: Record<string, string> = { authorization };
      if (method === 'POST') headers['content-type'] = 'application/json';
      const response = await t.http(path, { method, headers, body: body as BodyInit });
      const text = await response.text();
      return { status: response.status, code: text && JSON.parse(text).error?.code };
    };
    const start = (seq: number) =>
      send('POST', `/v1/backups/${id}/snapshots`, new TextEncoder().encode(`{"seq":${seq}}`));
    const chunk = (seq: number, index: number) =>
      send(
        'PUT',
        `/v1/backups/${id}/snapshots/${seq}/chunks/${index}`,
        bytes(BACKUP_CHUNK_BYTES, 1),
      );
    const complete = (seq: number) =>
      send('POST', `/v1/backups/${id}/snapshots/${seq}/complete`, new TextEncoder().encode('{}'));

    expect((await start(1)).status).toBe(201);
    expect((await chunk(1, 0)).status).toBe(204);
    expect((await start(2)).status).toBe(201);
    expect(await chunk(1, 1)).toEqual({ status: 404, code: ErrorCode.NOT_FOUND });
    expect(await complete(1)).toEqual({ status: 404, code: ErrorCode.NOT_FOUND });
    expect(await storedSeqs('backup_snapshots', id)).toEqual([2]);
    expect(await storedSeqs('backup_chunks', id)).toEqual([]);
    expect((await chunk(2, 0)).status).toBe(204);
    expect((await complete(2)).status).toBe(200);
  });

  it('stores no chunk and completes nothing for a snapshot that is gone (dropped or swept meanwhile)', async () => {
    const { relay, keys } = await client(17);
    await relay.upload(1, pieces(bytes(100, 1)));
    const backupId = toBase64Url(keys.backupId);
    const { db } = t.relay.database;
    // What a request that passed its checks finds after a concurrent start or sweep dropped seq 2.
    expect(await putSnapshotChunk(db, backupId, 2, 0, bytes(100, 2))).toBe(false);
    const gone = { backupId, seq: 2, size: 100, chunks: 1, now: t.now() };
    expect(await completeSnapshot(db, gone, 2)).toBe(false);
    // A complete snapshot takes no more chunks either.
    expect(await putSnapshotChunk(db, backupId, 1, 1, bytes(100, 3))).toBe(false);
    expect(await storedSeqs('backup_chunks', backupId)).toEqual([1]);
    expect(
      (await t.sql(`SELECT idx FROM backup_chunks WHERE backup_id = '${backupId}'`)).length,
    ).toBe(1);
  });

  /** Starts snapshot `seq`, stores one full chunk, then "the browser closes". */
  async function abandon(relay: BackupRelay, seq: number): Promise<void> {
    const unfinished = (async function* () {
      yield bytes(BACKUP_CHUNK_BYTES, seq);
      throw new Error('the browser closed');
    })();
    await expect(relay.upload(seq, unfinished)).rejects.toThrow('the browser closed');
  }

  async function storedSeqs(table: 'backup_snapshots' | 'backup_chunks', id: string) {
    const found = await t.sql(`SELECT DISTINCT seq FROM ${table} WHERE backup_id = '${id}'`);
    return found.map((r) => Number(r.seq)).sort();
  }

  it('sweeps an upload left unfinished for 24 h with its chunks; complete snapshots stay', async () => {
    const { relay, keys } = await client(13);
    const id = toBase64Url(keys.backupId);
    const kept = bytes(1500, 1);
    await relay.upload(1, pieces(kept));
    await abandon(relay, 2);
    expect(await storedSeqs('backup_chunks', id)).toEqual([1, 2]);
    const startedAt = t.now();

    t.setNow(startedAt + BACKUP_INCOMPLETE_MS - 1000);
    expect((await t.relay.sweeper.sweep()).backupUploads).toBe(0);
    expect(await storedSeqs('backup_chunks', id)).toEqual([1, 2]);

    t.setNow(startedAt + BACKUP_INCOMPLETE_MS + 1000);
    expect((await t.relay.sweeper.sweep()).backupUploads).toBe(1);
    expect(await storedSeqs('backup_snapshots', id)).toEqual([1]);
    expect(await storedSeqs('backup_chunks', id)).toEqual([1]);
    expect((await relay.list()).map((s) => s.seq)).toEqual([1]);
    expect(await collect(relay.download({ seq: 1, chunks: 1 }))).toEqual(kept);
    expect((await t.relay.sweeper.sweep()).backupUploads).toBe(0);
    expect(t.log.lines.some((l) => l.includes('"backupUploads":1'))).toBe(true);
    expect(await t.relay.metrics.render()).toContain('parley_backup_uploads_swept_total 1');
  });

  it('refuses more chunks and the completion of an upload 24 h after its start, before any sweep', async () => {
    const { relay, keys } = await client(15);
    const startedAt = t.now();
    const slow = (async function* () {
      yield bytes(BACKUP_CHUNK_BYTES, 1);
      t.setNow(startedAt + BACKUP_INCOMPLETE_MS);
      yield bytes(10, 2);
    })();
    const error = await relay.upload(1, slow).catch((e: unknown) => e);
    expect(isParleyError(error, ErrorCode.NOT_FOUND)).toBe(true);
    expect((error as { details?: { status?: number } }).details?.status).toBe(404);
    expect(await relay.list()).toEqual([]);
    expect(await storedSeqs('backup_chunks', toBase64Url(keys.backupId))).toEqual([1]);
    expect((await t.relay.sweeper.sweep()).backupUploads).toBe(1);
  });

  it('sweeps an id whose only upload never completed, pinned key included; it can be pinned again', async () => {
    const first = await client(14);
    const id = toBase64Url(first.keys.backupId);
    await abandon(first.relay, 1);
    t.setNow(t.now() + BACKUP_INCOMPLETE_MS + 1000);
    expect((await t.relay.sweeper.sweep()).backupUploads).toBe(1);
    expect(await t.sql(`SELECT id FROM backups WHERE id = '${id}'`)).toEqual([]);
    expect(await storedSeqs('backup_chunks', id)).toEqual([]);
    const again = await first.relay.upload(2, pieces(bytes(700, 2)));
    expect((await first.relay.list()).map((s) => s.seq)).toEqual([again.seq]);
  });

  it('sweeps more stale uploads than one batch in one sweep', async () => {
    await t.close();
    t = await startInProcess({ RATE_LIMIT_BACKUP_UPLOADS_PER_IP: '100/3600' });
    const owners = [];
    for (let n = 0; n < 12; n++) owners.push(await client(20 + n));
    for (const owner of owners) await owner.relay.upload(1, pieces(bytes(10, 1)));
    for (const owner of owners) await abandon(owner.relay, 2);
    t.setNow(t.now() + BACKUP_INCOMPLETE_MS + 1000);
    expect((await t.relay.sweeper.sweep()).backupUploads).toBe(12);
    expect(await t.sql('SELECT seq FROM backup_snapshots WHERE complete = 0')).toEqual([]);
    const chunkSeqs = await t.sql('SELECT DISTINCT seq FROM backup_chunks');
    expect(chunkSeqs.map((r) => Number(r.seq))).toEqual([1]);
    expect(await t.sql('SELECT id FROM backups')).toHaveLength(12);
  });

  it('pins the first key to the backup id: another key can neither read, write nor delete', async () => {
    const owner = await client(4);
    await owner.relay.upload(1, pieces(bytes(100, 1)));
    const other = await client(5);
    const intruder = new BackupRelay({
      relayUrl: RELAY,
      fetch: (input, init) => Promise.resolve(t.relay.app.request(input, init)),
      backupId: owner.keys.backupId,
      auth: other.keys.auth,
      now: () => t.now(),
    });
    expect(await rejectionCode(intruder.list())).toBe(ErrorCode.AUTH_FAILED);
    expect(await rejectionCode(intruder.upload(2, pieces(bytes(10, 2))))).toBe(
      ErrorCode.AUTH_FAILED,
    );
    expect(await rejectionCode(intruder.deleteAll())).toBe(ErrorCode.AUTH_FAILED);
    expect((await owner.relay.list()).map((s) => s.seq)).toEqual([1]);
  });

  it('deletes everything of a backup id, after which the next upload pins a key again', async () => {
    const { relay, keys } = await client(6);
    await relay.upload(1, pieces(bytes(100, 1)));
    await relay.deleteAll();
    expect(await relay.list()).toEqual([]);
    const id = toBase64Url(keys.backupId);
    for (const table of ['backups', 'backup_snapshots', 'backup_chunks']) {
      const column = table === 'backups' ? 'id' : 'backup_id';
      expect(await t.sql(`SELECT * FROM ${table} WHERE ${column} = '${id}'`)).toEqual([]);
    }
  });

  it('refuses a snapshot above the configured cap with 413 and keeps the previous one', async () => {
    const { relay } = await client(7);
    await relay.upload(1, pieces(bytes(100, 1)));
    const error = await relay.upload(2, pieces(bytes(4 * MiB + 1, 2))).catch((e: unknown) => e);
    expect(isParleyError(error, ErrorCode.BODY_TOO_LARGE)).toBe(true);
    expect((error as { details?: unknown }).details).toMatchObject({ status: 413, max: 4 * MiB });
    expect((await relay.list()).map((s) => s.seq)).toEqual([1]);
    const exact = await relay.upload(3, pieces(bytes(4 * MiB, 3)));
    expect(exact.size).toBe(4 * MiB);
  });

  it('counts the last partial chunk against a cap that is not a whole number of chunks', async () => {
    await t.close();
    const cap = 2 * BACKUP_CHUNK_BYTES + 1000;
    t = await startInProcess({ BACKUP_MAX_BYTES: String(cap) });
    const { relay, keys } = await client(18);
    const error = await relay.upload(1, pieces(bytes(cap + 1, 1))).catch((e: unknown) => e);
    expect(isParleyError(error, ErrorCode.BODY_TOO_LARGE)).toBe(true);
    expect((error as { details?: unknown }).details).toMatchObject({ status: 413, max: cap });
    const id = toBase64Url(keys.backupId);
    expect(
      await t.sql(`SELECT idx FROM backup_chunks WHERE backup_id = '${id}' AND idx = 2`),
    ).toEqual([]);
    expect((await relay.upload(2, pieces(bytes(cap, 2)))).size).toBe(cap);
  });

  it('refuses a replayed request and one signed outside the clock window', async () => {
    const { keys } = await client(8);
    const path = `/v1/backups/${toBase64Url(keys.backupId)}/snapshots`;
    const body = new TextEncoder().encode('{"seq":1}');
    const sign = (ts: number) => signBackupRequest(keys.auth, { method: 'POST', path, body }, ts);
    const post = async (authorization: string) => {
      const response = await t.http(path, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body,
      });
      return {
        status: response.status,
        body: (await response.json()) as { error?: { code: string } },
      };
    };
    const fresh = await sign(t.now());
    expect((await post(fresh)).status).toBe(201);
    expect((await post(fresh)).body.error?.code).toBe(ErrorCode.REQUEST_REPLAYED);
    const stale = await sign(t.now() - REQUEST_MAX_SKEW_MS - 1);
    expect((await post(stale)).body.error?.code).toBe(ErrorCode.REQUEST_EXPIRED);
    const wrongBody = await signBackupRequest(
      keys.auth,
      { method: 'POST', path, body: new TextEncoder().encode('{"seq":2}') },
      t.now() + 5,
    );
    expect((await post(wrongBody)).body.error?.code).toBe(ErrorCode.AUTH_FAILED);
    expect((await t.http(path)).status).toBe(401);
  });

  it('stores nothing that names the account: rows hold the backup id, the auth key and ciphertext', async () => {
    const { relay } = await client(9);
    await relay.upload(1, pieces(bytes(100, 1)));
    const columns = async (table: string) =>
      (await t.sql(`PRAGMA table_info(${table})`)).map((r) => String(r.name)).sort();
    expect(await columns('backups')).toEqual(['auth_key', 'created_at', 'id']);
    expect(await columns('backup_snapshots')).toEqual(
      ['backup_id', 'chunks', 'complete', 'seq', 'size', 'started_at', 'stored_at'].sort(),
    );
    expect(await columns('backup_chunks')).toEqual(['backup_id', 'data', 'idx', 'seq']);
  });

  it('limits requests per backup id and uploads started per IP (429)', async () => {
    await t.close();
    t = await startInProcess({
      RATE_LIMIT_BACKUP_REQUESTS_PER_ID: '4/60',
      RATE_LIMIT_BACKUP_UPLOADS_PER_IP: '2/60',
    });
    const a = await client(10);
    await a.relay.upload(1, pieces(bytes(10, 1))); // start, chunk, complete
    await a.relay.list();
    expect(await rejectionCode(a.relay.list())).toBe(ErrorCode.RATE_LIMITED);
    const b = await client(11);
    await b.relay.upload(1, pieces(bytes(10, 1)));
    const c = await client(12);
    expect(await rejectionCode(c.relay.upload(1, pieces(bytes(10, 1))))).toBe(
      ErrorCode.RATE_LIMITED,
    );
  });
});
