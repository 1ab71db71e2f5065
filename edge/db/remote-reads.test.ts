/**
 * Grouped reads against the Hrana test server (real SQLite behind real HTTP):
 * concurrent SELECTs share round trips, writes do not wait for them, and a
 * failing read fails alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HranaServer, startHranaServer } from '../testing/hrana-server.ts';
import { type Database, openDatabase } from './open.ts';

describe('grouped reads on a remote database', () => {
  let dir: string;
  let server: HranaServer;
  let database: Database;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-reads-'));
    server = await startHranaServer({ path: join(dir, 'db.sqlite'), delayMs: 5 });
    database = await openDatabase({ url: server.url });
    await database.client.execute('CREATE TABLE r (v INTEGER)');
    await database.client.execute('INSERT INTO r VALUES (1), (2), (3)');
  });
  afterAll(async () => {
    database.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 50 concurrent SELECTs in a couple of round trips, each with its own rows', async () => {
    const before = server.roundTrips;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        database.client.execute({ sql: 'SELECT v FROM r WHERE v = ?', args: [(i % 3) + 1] }),
      ),
    );
    expect(results.map((r) => r.rows[0]?.v)).toEqual(
      Array.from({ length: 50 }, (_, i) => (i % 3) + 1),
    );
    // One group leaves at once; everything issued meanwhile forms the next (was 50 round trips).
    expect(server.roundTrips - before).toBeLessThanOrEqual(2);
  });

  it('fails only the bad read of a group', async () => {
    const good = database.client.execute('SELECT count(*) AS n FROM r');
    const bad = database.client.execute('SELECT nope FROM r');
    await expect(bad).rejects.toThrow(/no such column/);
    expect((await good).rows[0]?.n).toBe(3);
  });

  it('sends writes straight through, in their own round trip', async () => {
    const before = server.roundTrips;
    await database.client.execute({ sql: 'INSERT INTO r VALUES (?)', args: [4] });
    expect(server.roundTrips - before).toBe(1);
  });
});
