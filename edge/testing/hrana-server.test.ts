/**
 * The Hrana test server against the real web client (@libsql/client/web):
 * the requests the relay's remote path makes (execute, batch transactions,
 * interactive transactions across requests, migrations) behave as on a file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client/web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/open.ts';
import { type HranaServer, startHranaServer } from './hrana-server.ts';

describe('Hrana test server', () => {
  let dir: string;
  let server: HranaServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-hrana-'));
    server = await startHranaServer({ path: join(dir, 'db.sqlite'), token: 'secret' });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses requests without the bearer token', async () => {
    const client = createClient({ url: server.url, authToken: 'wrong' });
    await expect(client.execute('SELECT 1')).rejects.toThrow();
    client.close();
  });

  it('runs the relay migrations and round-trips every value type through a write batch', async () => {
    const database = await openDatabase({ url: server.url, authToken: 'secret' });
    expect(database.kind).toBe('remote');
    const client = database.client;
    await client.execute(
      'CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, f REAL, s TEXT, b BLOB)',
    );
    const before = server.roundTrips;
    const results = await client.batch(
      [
        {
          sql: 'INSERT INTO t (n, f, s, b) VALUES (?, ?, ?, ?) RETURNING id',
          args: [7, 1.5, 'x', new Uint8Array([0, 255])],
        },
        { sql: 'INSERT INTO t (n) VALUES (?)', args: [2 ** 40] },
        { sql: 'DELETE FROM t WHERE n = ?', args: [2 ** 40] },
      ],
      'write',
    );
    expect(server.roundTrips - before).toBe(1);
    expect(results[0]?.rows[0]?.id).toBe(1);
    expect(results[0]?.rowsAffected).toBe(1);
    expect(results[2]?.rowsAffected).toBe(1);
    const row = (await client.execute('SELECT n, f, s, b FROM t')).rows[0];
    expect([row?.n, row?.f, row?.s, Array.from(new Uint8Array(row?.b as ArrayBuffer))]).toEqual([
      7,
      1.5,
      'x',
      [0, 255],
    ]);
    database.close();
  });

  it('rolls a failed batch back as one transaction and reports the failing statement', async () => {
    const client = createClient({ url: server.url, authToken: 'secret', intMode: 'number' });
    await client.execute('CREATE TABLE u (id INTEGER PRIMARY KEY, v TEXT UNIQUE)');
    await expect(
      client.batch(
        [
          { sql: 'INSERT INTO u (v) VALUES (?)', args: ['a'] },
          { sql: 'INSERT INTO u (v) VALUES (?)', args: ['a'] },
        ],
        'write',
      ),
    ).rejects.toThrow(/UNIQUE/);
    expect((await client.execute('SELECT count(*) AS n FROM u')).rows[0]?.n).toBe(0);
    client.close();
  });

  it('keeps an interactive transaction on one stream across requests while another stream waits', async () => {
    const client = createClient({ url: server.url, authToken: 'secret', intMode: 'number' });
    await client.execute('CREATE TABLE w (v INTEGER)');
    const tx = await client.transaction('write');
    await tx.execute({ sql: 'INSERT INTO w VALUES (?)', args: [1] });
    // Another stream's write waits for the lock instead of failing.
    const other = client.execute({ sql: 'INSERT INTO w VALUES (?)', args: [2] });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await tx.execute('SELECT count(*) AS n FROM w')).rows[0]?.n).toBe(1);
    await tx.commit();
    await other;
    expect((await client.execute('SELECT count(*) AS n FROM w')).rows[0]?.n).toBe(2);
    expect(server.openStreams).toBe(0);
    client.close();
  });
});
