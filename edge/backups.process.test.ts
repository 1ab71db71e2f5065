/**
 * Backup uploads left unfinished (docs/relay.md, "Backups") against the REAL
 * relay (a Deno process) on both database backends: the sweeper deletes an
 * upload never completed within its bound, chunks included, and an id whose
 * only upload died with its pinned key, while complete snapshots stay. The
 * bound is shortened with BACKUP_INCOMPLETE_SECONDS (the documented knob); the
 * 24 h default is checked in edge/routes/backups.test.ts with the relay's
 * injectable clock.
 */
import { createClient } from '@libsql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveBackupKeys } from '../shared/backup/keys.ts';
import { concat, toBase64Url } from '../shared/bytes.ts';
import { BackupRelay } from '../shared/client/backup/backup-relay.ts';
import { ErrorCode, isParleyError } from '../shared/errors.ts';
import { BACKUP_CHUNK_BYTES } from '../shared/wire/limits.ts';
import { RelayProcess } from './testing/relay-process.ts';
import { BACKENDS, startTestDatabase, type TestDatabase } from './testing/test-database.ts';

const INCOMPLETE_SECONDS = 2;

function bytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

async function* once(data: Uint8Array): AsyncGenerator<Uint8Array> {
  yield data;
}

/** One full chunk, then "the browser closes". */
async function* diesAfterOneChunk(): AsyncGenerator<Uint8Array> {
  yield bytes(BACKUP_CHUNK_BYTES, 9);
  throw new Error('the browser closed');
}

describe.each(BACKENDS)('unfinished backup uploads on a real relay (%s)', (backend) => {
  let database: TestDatabase;
  let relay: RelayProcess;

  beforeAll(async () => {
    database = await startTestDatabase(backend);
    relay = await RelayProcess.start({
      ...database.relayOptions,
      env: { BACKUP_INCOMPLETE_SECONDS: String(INCOMPLETE_SECONDS), SWEEP_INTERVAL_SECONDS: '1' },
    });
  });
  afterAll(async () => {
    await relay.dispose();
    await database.dispose();
  });

  async function owner(recoveryByte: number) {
    const keys = await deriveBackupKeys(new Uint8Array(32).fill(recoveryByte), 'some-account');
    const backups = new BackupRelay({
      relayUrl: relay.url,
      fetch: (input, init) => fetch(input, init),
      backupId: keys.backupId,
      auth: keys.auth,
      now: () => Date.now(),
    });
    return { id: toBase64Url(keys.backupId), backups };
  }

  /** Read through a second connection to the database file (WAL mode). */
  async function count(sql: string, id: string): Promise<number> {
    const db = createClient({ url: `file:${database.path}`, intMode: 'number' });
    try {
      const result = await db.execute({ sql, args: [id] });
      return Number(result.rows[0]?.n);
    } finally {
      db.close();
    }
  }

  const chunksOf = (id: string, seq: number) =>
    count(`SELECT COUNT(*) AS n FROM backup_chunks WHERE backup_id = ? AND seq = ${seq}`, id);

  async function waitFor(what: string, done: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  it('sweeps an upload never completed with its chunks; the complete snapshot stays', async () => {
    const { id, backups } = await owner(1);
    const kept = bytes(1500, 1);
    await backups.upload(1, once(kept));
    await expect(backups.upload(2, diesAfterOneChunk())).rejects.toThrow('the browser closed');
    expect(await chunksOf(id, 2)).toBe(1);

    await waitFor('the unfinished upload is swept', async () => (await chunksOf(id, 2)) === 0);
    expect(
      await count('SELECT COUNT(*) AS n FROM backup_snapshots WHERE backup_id = ? AND seq = 2', id),
    ).toBe(0);
    expect((await backups.list()).map((s) => s.seq)).toEqual([1]);
    const parts: Uint8Array[] = [];
    for await (const part of backups.download({ seq: 1, chunks: 1 })) parts.push(part);
    expect(concat(...parts)).toEqual(kept);
    expect(relay.output.some((l) => l.includes('"backupUploads":1'))).toBe(true);
  });

  it('refuses a chunk past the bound, and sweeps an id whose only upload died', async () => {
    const { id, backups } = await owner(2);
    let resumed = false;
    const slow = (async function* () {
      yield bytes(BACKUP_CHUNK_BYTES, 3);
      await new Promise((resolve) => setTimeout(resolve, (INCOMPLETE_SECONDS + 1) * 1000));
      resumed = true;
      yield bytes(10, 4);
    })();
    const error = await backups.upload(1, slow).catch((e: unknown) => e);
    expect(resumed).toBe(true);
    expect(isParleyError(error, ErrorCode.NOT_FOUND)).toBe(true);
    await waitFor(
      'the id is swept with its pinned key',
      async () => (await count('SELECT COUNT(*) AS n FROM backups WHERE id = ?', id)) === 0,
    );
    expect(await chunksOf(id, 1)).toBe(0);
    const again = await backups.upload(2, once(bytes(100, 5)));
    expect((await backups.list()).map((s) => s.seq)).toEqual([again.seq]);
  });
});
