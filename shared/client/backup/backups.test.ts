/**
 * Backup and restore with the recovery key against an in-process relay and
 * the real archive format: round trip, what the relay holds (B2), wrong key
 * and damage told apart (B1), and a relay passing an older snapshot off as
 * the latest (B3) (docs/protocol.md, "Backups").
 */

import { existsSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type InProcessRelay, startInProcess } from '../../../edge/testing/in-process.ts';
import { formatRecoveryKey } from '../../backup/recovery-key.ts';
import { type Bytes, concat, fromUtf8, utf8 } from '../../bytes.ts';
import { signingKeyPairFromPrivate } from '../../crypto/ed25519.ts';
import { ErrorCode } from '../../errors.ts';
import { rejectionCode } from '../../testing/errors.ts';
import { archiveAccess } from './archive-access.ts';
import { type Backups, createBackups } from './backups.ts';

const ACCOUNT = '6f1c2b7e-3a0d-4c55-9e21-8b4f0d9a7c13';
const RK = formatRecoveryKey(new Uint8Array(32).fill(0x42));
const OTHER_RK = formatRecoveryKey(new Uint8Array(32).fill(0x43));
const CANARY = 'canary: the eagle lands at midnight';

function messages(n: number, tag: string): Bytes[] {
  return Array.from({ length: n }, (_, i) => utf8(`${CANARY} #${i} ${tag} ${'x'.repeat(i % 50)}`));
}

async function* listOf(items: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const item of items) yield item;
}

describe('backups with the recovery key', () => {
  let t: InProcessRelay;
  let requests: string[];
  let imported: (readonly Bytes[])[];

  async function deps(content: Bytes[] = [], accountId = ACCOUNT): Promise<Backups> {
    const identity = await signingKeyPairFromPrivate(new Uint8Array(32).fill(5));
    return createBackups({
      accountId,
      relayUrl: 'http://relay.test',
      fetch: (input, init) => {
        requests.push(`${init?.method ?? 'GET'} ${new URL(input).pathname}`);
        return Promise.resolve(t.relay.app.request(input, init));
      },
      now: () => t.now(),
      archive: archiveAccess({
        identity: { publicKey: identity.publicKey, signer: identity.privateKey },
        now: () => t.now(),
        frames: () => listOf(content),
        importFrames: async (frames) => {
          imported.push(frames);
        },
      }),
    });
  }

  beforeEach(async () => {
    t = await startInProcess();
    requests = [];
    imported = [];
  });
  afterEach(async () => {
    await t.close();
  });

  it('round trip: what is backed up is what is restored, under its signed seq and date', async () => {
    const content = messages(2000, 'round trip');
    const d = await deps(content);
    const createdAt = t.now();
    const info = await d.createBackup({ recoveryKey: RK });
    expect(info.seq).toBe(1);
    const [shown] = await d.listBackups(RK.toLowerCase().replace(/ /g, '-'));
    expect(shown).toMatchObject({ seq: 1, relaySeq: 1, createdAt, latest: true });
    expect(await d.restoreBackup(RK, 1)).toEqual({ seq: 1, createdAt });
    expect(imported).toEqual([content]);
  });

  it('numbers snapshots after the highest stored one and keeps the newest two (B3: real seq and date)', async () => {
    const d = await deps(messages(10, 'seq'));
    const dates: number[] = [];
    for (let i = 0; i < 3; i++) {
      t.setNow(t.now() + 86_400_000);
      dates.push(t.now());
      await d.createBackup({ recoveryKey: RK });
    }
    const listed = await d.listBackups(RK);
    expect(listed.map((s) => [s.seq, s.createdAt, s.latest])).toEqual([
      [3, dates[2], true],
      [2, dates[1], false],
    ]);
    // The relay relabels the older snapshot as the newest and hides the real one.
    await t.sql(`DELETE FROM backup_snapshots WHERE seq = 3`);
    await t.sql(
      `INSERT INTO backup_snapshots SELECT backup_id, 9, complete, size, chunks, started_at, stored_at FROM backup_snapshots WHERE seq = 2`,
    );
    await t.sql(`UPDATE backup_chunks SET seq = 9 WHERE seq = 2`);
    await t.sql(`DELETE FROM backup_snapshots WHERE seq = 2`);
    const [served] = await d.listBackups(RK);
    expect(served).toMatchObject({ relaySeq: 9, seq: 2, createdAt: dates[1], latest: true });
    expect(await d.restoreBackup(RK, 9)).toEqual({ seq: 2, createdAt: dates[1] });
  });

  it('B2: the relay database holds none of the plaintext, and no account id in the backup tables', async () => {
    const d = await deps(messages(500, 'b2'));
    for (let i = 0; i < 3; i++) await d.createBackup({ recoveryKey: RK });
    await t.relay.database.db.$client.execute('PRAGMA wal_checkpoint(TRUNCATE)');
    const files = [t.dbPath, `${t.dbPath}-wal`].filter((p) => existsSync(p));
    const dump = concat(...files.map((p) => readFileSync(p)));
    expect(dump.length).toBeGreaterThan(10_000);
    const text = fromUtf8(dump.map((b) => (b < 0x20 || b > 0x7e ? 0x2e : b)));
    expect(text).not.toContain('eagle lands');
    expect(text).not.toContain('canary');
    const rows = await t.relay.database.db.$client.execute(
      'SELECT * FROM backups JOIN backup_snapshots ON backups.id = backup_snapshots.backup_id',
    );
    expect(JSON.stringify(rows.rows)).not.toContain(ACCOUNT);
  });

  it('B1: a mistyped recovery key fails before any request; another key finds nothing', async () => {
    const d = await deps(messages(5, 'b1'));
    await d.createBackup({ recoveryKey: RK });
    requests = [];
    const typo = `${RK.slice(0, 5)}${RK[5] === 'A' ? 'B' : 'A'}${RK.slice(6)}`;
    expect(await rejectionCode(d.listBackups(typo))).toBe(ErrorCode.RECOVERY_KEY_INVALID);
    expect(await rejectionCode(d.restoreBackup(typo, 1))).toBe(ErrorCode.RECOVERY_KEY_INVALID);
    expect(requests).toEqual([]);
    expect(await d.listBackups(OTHER_RK)).toEqual([]);
    expect(await rejectionCode(d.restoreBackup(OTHER_RK, 1))).toBe(ErrorCode.NOT_FOUND);
    expect(imported).toEqual([]);
  });

  it('B1: a snapshot opened with the wrong key is WRONG_KEY before any body chunk is fetched', async () => {
    const d = await deps(messages(20_000, 'wrong key'));
    await d.createBackup({ recoveryKey: RK });
    // The relay answers another key's backup id with this snapshot (a relay error or attack).
    const own = await t.relay.database.db.$client.execute('SELECT id FROM backups');
    const ownId = String(own.rows[0]?.id);
    await (await deps(messages(1, 'x'))).createBackup({ recoveryKey: OTHER_RK });
    const otherRow = await t.relay.database.db.$client.execute(
      `SELECT id FROM backups WHERE id != '${ownId}'`,
    );
    const otherId = String(otherRow.rows[0]?.id);
    await t.sql(`DELETE FROM backup_chunks WHERE backup_id = '${otherId}'`);
    await t.sql(
      `INSERT INTO backup_chunks SELECT '${otherId}', 1, idx, data FROM backup_chunks WHERE backup_id = '${ownId}'`,
    );
    await t.sql(
      `UPDATE backup_snapshots SET (size, chunks) = (SELECT size, chunks FROM backup_snapshots WHERE backup_id = '${ownId}') WHERE backup_id = '${otherId}'`,
    );
    requests = [];
    expect(await rejectionCode(d.restoreBackup(OTHER_RK, 1))).toBe(ErrorCode.ARCHIVE_WRONG_KEY);
    const chunkGets = requests.filter((r) => r.includes('/chunks/'));
    expect(chunkGets).toEqual([`GET /v1/backups/${otherId}/snapshots/1/chunks/0`]);
    expect(imported).toEqual([]);
  });

  it('B1: a flipped byte in a stored chunk is DAMAGED and imports nothing', async () => {
    const d = await deps(messages(20_000, 'damaged'));
    const info = await d.createBackup({ recoveryKey: RK });
    expect(info.chunks).toBeGreaterThan(0);
    const last = info.chunks - 1;
    const client = t.relay.database.db.$client;
    const row = await client.execute({
      sql: 'SELECT data FROM backup_chunks WHERE idx = ?',
      args: [last],
    });
    const data = new Uint8Array(row.rows[0]?.data as ArrayBuffer);
    const at = Math.floor(data.length / 2);
    data[at] = (data[at] ?? 0) ^ 0x01;
    await client.execute({
      sql: 'UPDATE backup_chunks SET data = ? WHERE idx = ?',
      args: [data, last],
    });
    expect(await rejectionCode(d.restoreBackup(RK, 1))).toBe(ErrorCode.ARCHIVE_DAMAGED);
    expect(imported).toEqual([]);
  });

  it("B3: a snapshot the same recovery key made for another account is DAMAGED, not listed as this one's", async () => {
    const d = await deps(messages(5, 'mine'));
    await d.createBackup({ recoveryKey: RK });
    const other = await deps(messages(5, 'other account'), '00000000-0000-4000-8000-000000000001');
    t.setNow(t.now() + 1000);
    await other.createBackup({ recoveryKey: RK });
    const ids = await t.relay.database.db.$client.execute(
      'SELECT id FROM backups ORDER BY created_at',
    );
    const [mine, theirs] = ids.rows.map((r) => String(r.id));
    // The relay serves the other account's snapshot (same backup key, so the key check passes).
    await t.sql(`DELETE FROM backup_chunks WHERE backup_id = '${mine}'`);
    await t.sql(
      `INSERT INTO backup_chunks SELECT '${mine}', 1, idx, data FROM backup_chunks WHERE backup_id = '${theirs}'`,
    );
    await t.sql(
      `UPDATE backup_snapshots SET (size, chunks) = (SELECT size, chunks FROM backup_snapshots WHERE backup_id = '${theirs}') WHERE backup_id = '${mine}'`,
    );
    expect(await rejectionCode(d.listBackups(RK))).toBe(ErrorCode.ARCHIVE_DAMAGED);
    expect(await rejectionCode(d.restoreBackup(RK, 1))).toBe(ErrorCode.ARCHIVE_DAMAGED);
    expect(imported).toEqual([]);
  });
});
