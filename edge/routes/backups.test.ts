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
import { BACKUP_CHUNK_BYTES, REQUEST_MAX_SKEW_MS } from '../../shared/wire/limits.ts';
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
    expect((await relay.list()).map((s) => s.seq)).toEqual([1]);
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
