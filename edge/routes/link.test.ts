/**
 * The linking rendezvous in process (a settable clock): expiry reads as gone,
 * the sweeper deletes rows and messages, and the database file keeps no
 * message body afterwards.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toBase64Url } from '../../shared/bytes.ts';
import { ErrorCode } from '../../shared/errors.ts';
import { LINK_RENDEZVOUS_TTL_MS } from '../../shared/wire/limits.ts';
import { LinkService } from '../services/link.ts';
import { type InProcessRelay, startInProcess } from '../testing/in-process.ts';

let t: InProcessRelay;
beforeEach(async () => {
  t = await startInProcess();
});
afterEach(async () => {
  await t.close();
});

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

async function open(): Promise<{ rid: string; locator: string; expiresAt: number }> {
  const res = await t.http('/v1/link/rendezvous', json({}));
  expect(res.status).toBe(201);
  return res.json();
}

describe('linking rendezvous expiry', () => {
  it('lives 5 minutes, then reads as gone and the sweeper deletes it with its messages', async () => {
    const r = await open();
    expect(r.expiresAt).toBe(t.now() + LINK_RENDEZVOUS_TTL_MS);
    const canary = new TextEncoder().encode('rendezvous-canary-7f3a9c');
    const posted = await t.http(
      `/v1/link/rendezvous/${r.rid}/messages/new`,
      json({ body: toBase64Url(canary) }),
    );
    expect(posted.status).toBe(201);

    t.setNow(r.expiresAt - 1);
    expect((await t.http(`/v1/link/locators/${r.locator}`)).status).toBe(200);
    t.setNow(r.expiresAt);
    // A second rendezvous that expired without being read is left for the sweeper.
    const other = await open();
    t.setNow(other.expiresAt + 1);
    const found = await t.http(`/v1/link/locators/${r.locator}`);
    expect(found.status).toBe(404);
    expect((await t.http(`/v1/link/rendezvous/${r.rid}/messages/new/0`)).status).toBe(404);

    const swept = await t.relay.sweeper.sweep();
    expect(swept.rendezvous).toBe(1);
    const count = await t.relay.database.db.$client.execute(
      'SELECT (SELECT count(*) FROM link_rendezvous) + (SELECT count(*) FROM link_messages) AS n',
    );
    expect(Number(count.rows[0]?.n)).toBe(0);
    const needle = Buffer.from(canary);
    for (const path of [t.dbPath, `${t.dbPath}-wal`]) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(path);
      } catch {
        continue;
      }
      expect(bytes.indexOf(needle)).toBe(-1);
    }
  });

  it('keeps locators unique among live rendezvous and frees an expired one', async () => {
    let counter = 0;
    // Every draw yields the same locator; the ids differ.
    const random = (n: number) => {
      const out = new Uint8Array(n);
      if (n > 4) out[0] = ++counter;
      return out;
    };
    const service = new LinkService({ db: t.relay.database.db, now: t.now, random });
    const first = await service.create();
    expect(first.locator).toBe('1111');
    await expect(service.create()).rejects.toMatchObject({ code: ErrorCode.RATE_LIMITED });
    t.setNow(first.expiresAt);
    const second = await service.create();
    expect(second.locator).toBe('1111');
    expect(second.rid).not.toBe(first.rid);
    await expect(service.read(first.rid, 'new', 0)).rejects.toMatchObject({
      code: ErrorCode.NOT_FOUND,
    });
  });
});
