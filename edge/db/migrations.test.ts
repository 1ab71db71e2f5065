/**
 * Migrations on databases that already hold data, created with the older
 * migrations only, filled, then opened by the current relay code: 0001
 * (shared bodies, queue usage) with queued messages, 0003 (upload tokens)
 * with attachments of the earlier protocol.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@libsql/client';
import { drizzle } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from './open.ts';
import { openQueueStore } from './queue-store.ts';

const MIGRATIONS = fileURLToPath(new URL('./migrations', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'parley-migrate-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A migrations folder holding only the migrations up to `last` (an older relay's schema). */
function migrationsUpTo(last: string): string {
  const out = join(dir, `migrations-${last}`);
  mkdirSync(join(out, 'meta'), { recursive: true });
  const journal = JSON.parse(readFileSync(join(MIGRATIONS, 'meta', '_journal.json'), 'utf8')) as {
    entries: { tag: string }[];
  };
  const end = journal.entries.findIndex((e) => e.tag === last);
  journal.entries = journal.entries.slice(0, end + 1);
  for (const e of journal.entries)
    copyFileSync(join(MIGRATIONS, `${e.tag}.sql`), join(out, `${e.tag}.sql`));
  writeFileSync(join(out, 'meta', '_journal.json'), JSON.stringify(journal));
  return out;
}

const firstMigrationOnly = () => migrationsUpTo('0000_init');

describe('migration 0001 on an existing database', () => {
  it('keeps queued messages deliverable and counts them against their devices', async () => {
    const path = join(dir, 'old.db');
    const old = createClient({ url: `file:${path}`, intMode: 'number' });
    await migrate(drizzle(old), { migrationsFolder: firstMigrationOnly() });
    await old.execute(
      `INSERT INTO accounts (id, handle, webauthn_user_id, created_at) VALUES ('bob', 'bob', 'w', 0)`,
    );
    await old.execute(
      `INSERT INTO devices (account_id, device_id, device_key, certificate, certificate_created_at,
         signed_prekey_id, signed_prekey, signed_prekey_sig, kem_prekey_id, kem_prekey, kem_prekey_sig, created_at)
       VALUES ('bob', 1, x'01', x'00', 0, 1, x'00', x'00', 1, x'00', x'00', 0)`,
    );
    for (const [n, hex] of [
      [1, 'aabbcc'],
      [2, 'ddeeff0011'],
    ] as const)
      await old.execute(
        `INSERT INTO queue (recipient_account, recipient_device, sender_account, sender_device,
           client_message_id, ciphertext, created_at, expires_at)
         VALUES ('bob', 1, 'alice', 1, x'${String(n).padStart(32, '0')}', x'${hex}', 0, 9e15)`,
      );
    old.close();

    const database = await openDatabase({ url: `file:${path}` });
    const store = openQueueStore(database.db, { filePath: path, synchronous: 'NORMAL' });
    try {
      expect(await store.usage(['bob'])).toEqual([
        { account: 'bob', device: 1, count: 2, bytes: 8 },
      ]);
      const rows = await store.pending('bob', 1, 0, 1, 10);
      expect(rows.map((r) => Buffer.from(r.ciphertext).toString('hex'))).toEqual([
        'aabbcc',
        'ddeeff0011',
      ]);
      // The triggers keep the counts from here on.
      await store.acknowledge('bob', 1, [rows[0]?.seq ?? 0]);
      expect(await store.usage(['bob'])).toEqual([
        { account: 'bob', device: 1, count: 1, bytes: 5 },
      ]);
      await store.acknowledge('bob', 1, [rows[1]?.seq ?? 0]);
      expect(await store.usage(['bob'])).toEqual([]);
    } finally {
      store.close();
      database.close();
    }
  });
});

describe('migration 0003 on a database with uploads of the earlier attachment protocol', () => {
  it('drops them (no client can finish or read them) and adds the token hash', async () => {
    const path = join(dir, 'attachments.db');
    const old = createClient({ url: `file:${path}`, intMode: 'number' });
    await migrate(drizzle(old), { migrationsFolder: migrationsUpTo('0002_one_time_kem_prekeys') });
    await old.execute(
      `INSERT INTO attachments (id, owner_account, owner_device, size, digest, complete, created_at, expires_at)
       VALUES ('AAAAAAAAAAAAAAAAAAAAAA', 'alice', 1, 3, x'00', 1, 0, 9e15)`,
    );
    await old.execute(
      `INSERT INTO attachment_chunks (attachment_id, idx, data) VALUES ('AAAAAAAAAAAAAAAAAAAAAA', 0, x'aabbcc')`,
    );
    old.close();

    const database = await openDatabase({ url: `file:${path}` });
    try {
      const rows = await database.client.execute('SELECT COUNT(*) AS n FROM attachments');
      expect(rows.rows[0]?.n).toBe(0);
      const chunks = await database.client.execute('SELECT COUNT(*) AS n FROM attachment_chunks');
      expect(chunks.rows[0]?.n).toBe(0);
      const columns = await database.client.execute('PRAGMA table_info(attachments)');
      const names = columns.rows.map((r) => r.name);
      expect(names).toContain('token_hash');
      expect(names).not.toContain('digest');
    } finally {
      database.close();
    }
  });
});
