/**
 * The linking rendezvous against the REAL relay process (docs/wire.md,
 * "Linking"): the mailbox of each side in order, the strike counter that
 * kills a rendezvous at the third failed confirmation, completion, the limits
 * on message size and count, and the per-IP budget on opening rendezvous.
 */
import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../shared/bytes.ts';
import { useRelayProcess } from '../shared/client/testing/relay-fixture.ts';
import {
  LINK_MAX_STRIKES,
  LINK_MESSAGE_MAX_BYTES,
  LINK_MESSAGES_PER_SIDE,
} from '../shared/wire/limits.ts';
import { isLocator } from '../shared/wire/rest-link.ts';

const CEREMONIES_PER_MINUTE = 30;
const relay = useRelayProcess({
  relay: { env: { RATE_LIMIT_PASSKEY_PER_IP: `${CEREMONIES_PER_MINUTE}/60` } },
});

const post = (path: string, body: unknown) =>
  relay.http(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

async function open(): Promise<{ rid: string; locator: string; expiresAt: number }> {
  const res = await post('/v1/link/rendezvous', {});
  expect(res.status).toBe(201);
  return res.json();
}

const message = (n: number, size = 8) => toBase64Url(new Uint8Array(size).fill(n));

async function read(rid: string, side: string, after: number) {
  const res = await relay.http(`/v1/link/rendezvous/${rid}/messages/${side}/${after}`);
  return {
    status: res.status,
    body: (await res.json()) as { messages: { seq: number; body: string }[] },
  };
}

describe('linking rendezvous (real relay)', () => {
  it('opens with a locator, finds it, and carries each side in order', async () => {
    const r = await open();
    expect(isLocator(r.locator)).toBe(true);
    expect(r.expiresAt - Date.now()).toBeGreaterThan(290_000);
    const found = await relay.http(`/v1/link/locators/${r.locator}`);
    expect(await found.json()).toEqual({ rid: r.rid, expiresAt: r.expiresAt });

    for (const n of [1, 2]) {
      const res = await post(`/v1/link/rendezvous/${r.rid}/messages/new`, { body: message(n) });
      expect(await res.json()).toEqual({ seq: n });
    }
    const reply = await post(`/v1/link/rendezvous/${r.rid}/messages/existing`, {
      body: message(9),
    });
    expect(await reply.json()).toEqual({ seq: 1 });

    expect((await read(r.rid, 'new', 0)).body.messages).toEqual([
      { seq: 1, body: message(1) },
      { seq: 2, body: message(2) },
    ]);
    expect((await read(r.rid, 'new', 1)).body.messages).toEqual([{ seq: 2, body: message(2) }]);
    expect((await read(r.rid, 'new', 2)).body.messages).toEqual([]);
    expect((await read(r.rid, 'existing', 0)).body.messages).toEqual([
      { seq: 1, body: message(9) },
    ]);

    const closed = await relay.http(`/v1/link/rendezvous/${r.rid}`, { method: 'DELETE' });
    expect(closed.status).toBe(204);
    expect((await read(r.rid, 'new', 0)).status).toBe(404);
    expect((await relay.http(`/v1/link/locators/${r.locator}`)).status).toBe(404);
  });

  it('dies at the third failed confirmation', async () => {
    const r = await open();
    for (let strike = 1; strike <= LINK_MAX_STRIKES; strike++) {
      const res = await post(`/v1/link/rendezvous/${r.rid}/strikes`, {});
      expect(await res.json()).toEqual({ strikes: strike, alive: strike < LINK_MAX_STRIKES });
    }
    expect((await read(r.rid, 'existing', 0)).status).toBe(404);
    const late = await post(`/v1/link/rendezvous/${r.rid}/messages/existing`, { body: message(1) });
    expect(late.status).toBe(404);
    expect((await post(`/v1/link/rendezvous/${r.rid}/strikes`, {})).status).toBe(404);
  });

  it('caps message size and count per side', async () => {
    const r = await open();
    const big = await post(`/v1/link/rendezvous/${r.rid}/messages/new`, {
      body: message(1, LINK_MESSAGE_MAX_BYTES + 1),
    });
    expect(big.status).toBe(400);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe('BODY_INVALID');
    const largest = await post(`/v1/link/rendezvous/${r.rid}/messages/new`, {
      body: message(1, LINK_MESSAGE_MAX_BYTES),
    });
    expect(largest.status).toBe(201);
    for (let n = 2; n <= LINK_MESSAGES_PER_SIDE; n++) {
      const res = await post(`/v1/link/rendezvous/${r.rid}/messages/new`, { body: message(n) });
      expect(res.status).toBe(201);
    }
    const full = await post(`/v1/link/rendezvous/${r.rid}/messages/new`, { body: message(0) });
    expect(((await full.json()) as { error: { code: string } }).error.code).toBe('QUEUE_FULL');
    // The other side is counted on its own.
    const other = await post(`/v1/link/rendezvous/${r.rid}/messages/existing`, {
      body: message(1),
    });
    expect(other.status).toBe(201);
    expect((await read(r.rid, 'new', 0)).body.messages).toHaveLength(LINK_MESSAGES_PER_SIDE);
  });

  it('rejects malformed ids, sides and locators', async () => {
    const r = await open();
    expect((await read(r.rid, 'middle', 0)).status).toBe(400);
    expect((await read('short', 'new', 0)).status).toBe(400);
    expect((await relay.http('/v1/link/locators/0OIU')).status).toBe(400);
  });

  it('limits opening rendezvous per IP', async () => {
    let refused = 0;
    for (let i = 0; i <= CEREMONIES_PER_MINUTE && refused === 0; i++) {
      const res = await post('/v1/link/rendezvous', {});
      if (res.status === 429) refused++;
      else expect(res.status).toBe(201);
    }
    expect(refused).toBe(1);
  });
});
