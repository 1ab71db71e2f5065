import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openNative } from './native-sqlite.ts';
import { type Database, openDatabase } from './open.ts';
import type { NewQueueRow } from './queue.ts';
import { openQueueStore, type QueueStore } from './queue-store.ts';

const alice = '00000000-0000-4000-8000-00000000000a';
const bob = '00000000-0000-4000-8000-00000000000b';

function copy(id: number, to = bob): NewQueueRow {
  return {
    recipientAccount: to,
    recipientDevice: 1,
    senderAccount: alice,
    senderDevice: 1,
    clientMessageId: new Uint8Array(16).fill(id),
    ciphertext: new Uint8Array([id]),
    createdAt: 1,
    expiresAt: Number.MAX_SAFE_INTEGER,
    senderExpiresAt: null,
  };
}

describe('QueueStore (native, file database)', () => {
  let dir: string;
  let database: Database;
  let store: QueueStore;
  let path: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-queue-'));
    path = join(dir, 'q.db');
    database = await openDatabase({ url: `file:${path}` });
    for (const id of [alice, bob]) {
      await database.client.execute({
        sql: `INSERT INTO accounts (id, handle, webauthn_user_id, created_at) VALUES (?, ?, ?, 0)`,
        args: [id, id.slice(-1), id],
      });
      await database.client.execute({
        sql: `INSERT INTO devices (account_id, device_id, device_key, certificate, certificate_created_at,
                signed_prekey_id, signed_prekey, signed_prekey_sig, kem_prekey_id, kem_prekey, kem_prekey_sig, created_at)
              VALUES (?, 1, ?, x'00', 0, 1, x'00', x'00', 1, x'00', x'00', 0)`,
        args: [id, new Uint8Array(32).fill(id.charCodeAt(35))],
      });
    }
    store = openQueueStore(database.db, { filePath: path, synchronous: 'NORMAL' });
  });

  afterAll(() => {
    store.close();
    database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits concurrent sends together, idempotently, and serves them in order', async () => {
    const results = await Promise.all([
      store.enqueue([copy(1)]),
      store.enqueue([copy(2)]),
      store.enqueue([copy(1)]),
    ]);
    expect(store.lastBatchSize).toBe(3);
    expect(results[0]?.length).toBe(1);
    expect(results[1]?.length).toBe(1);
    expect(results[2]).toEqual([]); // the same message id again: nothing new
    const rows = await store.pending(bob, 1, 0, 2, 10);
    expect(rows.map((r) => r.ciphertext[0])).toEqual([1, 2]);
    expect(await store.acknowledge(bob, 1, [rows[0]?.seq ?? 0])).toBe(1);
    expect(await store.acknowledge(alice, 1, [rows[1]?.seq ?? 0])).toBe(0); // not alice's row
    expect((await store.pending(bob, 1, 0, 2, 10)).length).toBe(1);
  });

  it('stores nothing for a device that does not exist or a recipient who blocked the sender', async () => {
    expect(await store.enqueue([{ ...copy(5), recipientDevice: 99 }])).toEqual([]);
    await database.client.execute({
      sql: 'INSERT INTO blocks (account_id, blocked, created_at) VALUES (?, ?, 0)',
      args: [bob, alice],
    });
    expect(await store.enqueue([copy(6)])).toEqual([]);
    expect(await store.blockersOf(alice, [bob, alice])).toEqual(new Set([bob]));
    expect(await store.blockersOf(bob, [alice])).toEqual(new Set());
    await database.client.execute({ sql: 'DELETE FROM blocks', args: [] });
  });

  it('moves the writer epoch when another writer inserted rows since its own last commit', async () => {
    await store.enqueue([copy(7)]);
    const settled = store.writerEpoch;
    await store.enqueue([copy(8)]);
    expect(store.writerEpoch).toBe(settled); // only our own writes in between
    // Another process (here: the shared client, a second connection) writes a row.
    await database.client.execute({
      sql: `INSERT INTO queue (recipient_account, recipient_device, sender_account, sender_device, client_message_id,
              ciphertext, created_at, expires_at) VALUES (?, 1, ?, 1, ?, x'09', 1, 9007199254740991)`,
      args: [bob, alice, new Uint8Array(16).fill(9)],
    });
    await store.enqueue([copy(10)]);
    expect(store.writerEpoch).not.toBe(settled);
  });

  it('truncates the write-ahead log without waiting: busy while another connection writes, done after', async () => {
    await store.enqueue([copy(11)]);
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(0);
    const other = openNative(path, { busyTimeoutMs: 0, synchronous: 'NORMAL' });
    try {
      other.exec('BEGIN IMMEDIATE');
      other.exec('DELETE FROM blocks');
      expect(await store.truncateWal()).toBe('busy');
      other.exec('COMMIT');
    } finally {
      other.close();
    }
    expect(await store.truncateWal()).toBe('done');
    expect(statSync(`${path}-wal`).size).toBe(0);
    // The log is only truncated, not lost: the rows are still there.
    expect((await store.pending(bob, 1, 0, 2, 100)).some((r) => r.ciphertext[0] === 11)).toBe(true);
  });
});

describe.each(['native', 'client'] as const)('QueueStore shared bodies (%s)', (backend) => {
  let dir: string;
  let database: Database;
  let store: QueueStore;

  const count = async (sql: string) =>
    Number((await database.client.execute(sql)).rows[0]?.[0] ?? Number.NaN);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-queue-shared-'));
    const path = join(dir, 'q.db');
    database = await openDatabase({ url: `file:${path}` });
    await database.client.execute({
      sql: `INSERT INTO accounts (id, handle, webauthn_user_id, created_at) VALUES (?, 'b', ?, 0)`,
      args: [bob, bob],
    });
    for (const device of [1, 2, 3])
      await database.client.execute({
        sql: `INSERT INTO devices (account_id, device_id, device_key, certificate, certificate_created_at,
                signed_prekey_id, signed_prekey, signed_prekey_sig, kem_prekey_id, kem_prekey, kem_prekey_sig, created_at)
              VALUES (?, ?, ?, x'00', 0, 1, x'00', x'00', 1, x'00', x'00', 0)`,
        args: [bob, device, new Uint8Array(32).fill(device)],
      });
    store = openQueueStore(database.db, {
      filePath: backend === 'native' ? path : undefined,
      synchronous: 'NORMAL',
    });
  });

  afterAll(() => {
    store.close();
    database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes a body shared by several copies once, serves it to each, and drops it with the last ack', async () => {
    const shared = new Uint8Array(1000).fill(7);
    const rows = [1, 2, 3].map((device) => ({
      ...copy(40),
      recipientDevice: device,
      ciphertext: shared,
      shared: true,
    }));
    // Two sends in one group commit: each references its own body.
    const [first, second] = await Promise.all([
      store.enqueue(rows),
      store.enqueue(rows.map((r) => ({ ...r, clientMessageId: new Uint8Array(16).fill(41) }))),
    ]);
    expect(first?.length).toBe(3);
    expect(second?.length).toBe(3);
    expect(await count('SELECT count(*) FROM queue_bodies')).toBe(2);
    expect(await count('SELECT sum(length(ciphertext)) FROM queue')).toBe(0);
    expect(await store.usage([bob])).toEqual(
      [1, 2, 3].map((device) => ({ account: bob, device, count: 2, bytes: 2000 })),
    );
    for (const device of [1, 2, 3]) {
      const pending = await store.pending(bob, device, 0, 2, 10);
      expect(pending.map((r) => Buffer.from(r.ciphertext).equals(shared))).toEqual([true, true]);
      await store.acknowledge(
        bob,
        device,
        pending.map((r) => r.seq),
      );
      expect(await count('SELECT count(*) FROM queue_bodies')).toBe(device === 3 ? 0 : 2);
    }
    expect(await store.usage([bob])).toEqual([]);
  });

  it('leaves no body behind when no copy was written (a resend, or every device gone)', async () => {
    const shared = new Uint8Array(10).fill(8);
    const rows = [98, 99].map((device) => ({
      ...copy(42),
      recipientDevice: device,
      ciphertext: shared,
      shared: true,
    }));
    expect(await store.enqueue(rows)).toEqual([]);
    expect(await count('SELECT count(*) FROM queue_bodies')).toBe(0);
  });
});
