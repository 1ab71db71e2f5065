/**
 * Migration 0001 (shared bodies, queue usage) on a database that already has
 * queued messages: created with migration 0000 only, filled, then opened by
 * the current relay code.
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

/** A migrations folder holding only 0000 (the schema of the relay before this change). */
function firstMigrationOnly(): string {
  const out = join(dir, 'migrations-0000');
  mkdirSync(join(out, 'meta'), { recursive: true });
  copyFileSync(join(MIGRATIONS, '0000_init.sql'), join(out, '0000_init.sql'));
  const journal = JSON.parse(readFileSync(join(MIGRATIONS, 'meta', '_journal.json'), 'utf8')) as {
    entries: { tag: string }[];
  };
  journal.entries = journal.entries.filter((e) => e.tag === '0000_init');
  writeFileSync(join(out, 'meta', '_journal.json'), JSON.stringify(journal));
  return out;
}

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
