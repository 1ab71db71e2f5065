/**
 * Abuse limits against the REAL relay (docs/relay.md, "Limits and abuse"): a
 * Deno process on a free port with its own database, driven over real HTTP
 * and WebSockets. Every scenario is bounded in count and time.
 */
import { createClient } from '@libsql/client';
import { afterEach, describe, expect, it } from 'vitest';
import type { SendFrame } from '../shared/wire/frames.ts';
import {
  accountWithDevice,
  createDevice,
  deviceRequest,
  expectJson,
  jsonInit,
  login,
  registerAccount,
  registerDevice,
  type TestDevice,
  uniqueMessageId,
} from './testing/client.ts';
import { RelayProcess } from './testing/relay-process.ts';
import { WsTestClient } from './testing/ws-client.ts';

function body(bytes: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(bytes));
}

/** A send of one body to the given devices (shared, or one copy per device). */
function sendFrame(to: readonly TestDevice[], bytes: number, shared = false): SendFrame {
  const byUser = new Map<string, TestDevice[]>();
  for (const d of to) byUser.set(d.account.userId, [...(byUser.get(d.account.userId) ?? []), d]);
  const common = body(bytes);
  return {
    t: 'send',
    id: uniqueMessageId(),
    to: [...byUser].map(([user, devices]) => ({
      user,
      devices: devices.map((d) =>
        shared ? { device: d.deviceId } : { device: d.deviceId, body: body(bytes) },
      ),
    })),
    ...(shared ? { body: common } : {}),
  };
}

/** Sends one frame and waits for its answer: 'stored' or the error code. */
async function answer(socket: WsTestClient, frame: SendFrame): Promise<string> {
  const seen = socket.received.length;
  socket.send(frame);
  for (let i = 0; i < 500; i++) {
    for (const f of socket.received.slice(seen)) {
      if (f.t === 'stored' && f.id.every((b, j) => b === frame.id[j])) return 'stored';
      if (f.t === 'error' && f.ref !== undefined && f.ref.every((b, j) => b === frame.id[j]))
        return f.code;
      if (f.t === 'mismatch') return 'mismatch';
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no answer to a send within 5 s');
}

/** Reads the relay's database (WAL mode: a second reader is safe). */
async function query(relay: RelayProcess, sql: string): Promise<Record<string, unknown>[]> {
  const client = createClient({ url: `file:${relay.dbPath}`, intMode: 'number' });
  try {
    return (await client.execute(sql)).rows.map((r) => ({ ...r }));
  } finally {
    client.close();
  }
}

const running: RelayProcess[] = [];

async function start(env: Record<string, string>): Promise<RelayProcess> {
  const relay = await RelayProcess.start({ env });
  running.push(relay);
  return relay;
}

afterEach(async () => {
  for (const relay of running.splice(0)) await relay.dispose();
});

describe('relay process: client address behind trusted proxies (TRUST_PROXY)', () => {
  it('limits by the address the trusted proxy appended, not by what the client wrote to its left', async () => {
    const relay = await start({ TRUST_PROXY: 'true', RATE_LIMIT_HTTP_PER_IP: '3/60' });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      // The client sends "X-Forwarded-For: 198.51.100.<i>"; nginx's $proxy_add_x_forwarded_for
      // appends the real peer, so the relay sees "198.51.100.<i>, 203.0.113.7".
      const res = await relay.http('/v1/handles/nobody', {
        headers: { 'x-forwarded-for': `198.51.100.${i}, 203.0.113.7` },
      });
      await res.body?.cancel();
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 3).every((s) => s !== 429)).toBe(true);
    expect(statuses.slice(3)).toEqual([429, 429, 429]);

    // Another real client (another address appended by the proxy) has its own budget.
    const other = await relay.http('/v1/handles/nobody', {
      headers: { 'x-forwarded-for': '203.0.113.8' },
    });
    await other.body?.cancel();
    expect(other.status).not.toBe(429);
  });

  it('with two proxies takes the second entry from the right', async () => {
    const relay = await start({ TRUST_PROXY: '2', RATE_LIMIT_HTTP_PER_IP: '2/60' });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await relay.http('/v1/handles/nobody', {
        headers: { 'x-forwarded-for': `10.9.9.${i}, 203.0.113.7, 192.0.2.1` },
      });
      await res.body?.cancel();
      statuses.push(res.status);
    }
    expect(statuses.slice(2)).toEqual([429, 429]);
    // A different client behind the same two proxies is a different address.
    const other = await relay.http('/v1/handles/nobody', {
      headers: { 'x-forwarded-for': '203.0.113.9, 192.0.2.1' },
    });
    await other.body?.cancel();
    expect(other.status).not.toBe(429);
  });
});

describe('relay process: shared fan-out needs a shared TOKEN_SECRET', () => {
  it('refuses to start with REDIS_URL and no TOKEN_SECRET, naming the variable', async () => {
    const failure = await RelayProcess.start({
      env: { REDIS_URL: 'redis://127.0.0.1:1' },
      startTimeoutMs: 20_000,
    }).then(
      (relay) => {
        running.push(relay);
        return undefined;
      },
      (error: unknown) => String(error),
    );
    expect(failure).toMatch(/relay exited during start/);
    expect(failure).toMatch(/TOKEN_SECRET/);
  });
});

describe('relay process: queue storage caps', () => {
  it('stores a shared body once for every addressed device, and deletes it with the last ack', async () => {
    const relay = await start({});
    const alice = await accountWithDevice(relay.http, 'alice');
    const bob = await accountWithDevice(relay.http, 'bob');
    const bobs = [bob];
    for (let i = 0; i < 3; i++) {
      const d = await createDevice(bob.account, { oneTimePreKeys: 1 });
      await registerDevice(relay.http, d);
      bobs.push(d);
    }
    const a = await WsTestClient.connect(relay.wsUrl, alice);
    expect(await answer(a, sendFrame(bobs, 30_000, true))).toBe('stored');
    const [stored] = await query(
      relay,
      `SELECT (SELECT count(*) FROM queue) AS copies,
              (SELECT coalesce(sum(length(ciphertext)), 0) FROM queue) AS inline,
              (SELECT count(*) FROM queue_bodies) AS bodies,
              (SELECT coalesce(sum(length(data)), 0) FROM queue_bodies) AS shared`,
    );
    expect(stored).toEqual({ copies: 4, inline: 0, bodies: 1, shared: 30_000 });

    // Every device receives the whole body; the shared row goes with the last ack.
    for (const [i, d] of bobs.entries()) {
      const b = await WsTestClient.connect(relay.wsUrl, d);
      const [delivered] = await b.waitFor('deliver');
      expect(delivered?.body.length).toBe(30_000);
      b.send({ t: 'ack', qids: [delivered?.qid ?? 0] });
      b.send({ t: 'ping', n: 1 });
      await b.waitFor('pong');
      b.close();
      const [left] = await query(relay, 'SELECT count(*) AS n FROM queue_bodies');
      expect(left?.n).toBe(i === bobs.length - 1 ? 0 : 1);
    }
    a.close();
  });

  it("refuses a send past a recipient device's copy or byte cap with QUEUE_FULL, until it reads", async () => {
    const relay = await start({ QUEUE_MAX_PER_DEVICE: '3', QUEUE_MAX_BYTES_PER_DEVICE: '65536' });
    const alice = await accountWithDevice(relay.http, 'alice');
    const bob = await accountWithDevice(relay.http, 'bob');
    const carol = await accountWithDevice(relay.http, 'carol');
    const a = await WsTestClient.connect(relay.wsUrl, alice);
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await answer(a, sendFrame([bob], 100)));
    expect(answers).toEqual(['stored', 'stored', 'stored', 'QUEUE_FULL']);
    // Bytes: 40 KB fits in 64 KiB, a second 40 KB does not.
    expect(await answer(a, sendFrame([carol], 40_000))).toBe('stored');
    expect(await answer(a, sendFrame([carol], 40_000))).toBe('QUEUE_FULL');
    const [usage] = await query(
      relay,
      `SELECT count(*) AS n FROM queue WHERE recipient_account = '${bob.account.userId}'`,
    );
    expect(usage?.n).toBe(3); // nothing of the refused sends was written

    const b = await WsTestClient.connect(relay.wsUrl, bob);
    const delivered = await b.waitFor('deliver', 3);
    b.send({ t: 'ack', qids: delivered.map((d) => d.qid ?? 0) });
    b.send({ t: 'ping', n: 1 });
    await b.waitFor('pong');
    expect(await answer(a, sendFrame([bob], 100))).toBe('stored');
    a.close();
    b.close();
  });

  it('limits stored bytes per sending device and sends per recipient account, with Retry-After', async () => {
    const relay = await start({
      RATE_LIMIT_SEND_BYTES_PER_DEVICE: '100000/600',
      RATE_LIMIT_SENDS_PER_RECIPIENT: '3/600',
    });
    const alice = await accountWithDevice(relay.http, 'alice');
    const bob = await accountWithDevice(relay.http, 'bob');
    const carol = await accountWithDevice(relay.http, 'carol');
    const a = await WsTestClient.connect(relay.wsUrl, alice);
    const toBob = [];
    for (let i = 0; i < 4; i++) toBob.push(await answer(a, sendFrame([bob], 10)));
    expect(toBob).toEqual(['stored', 'stored', 'stored', 'RATE_LIMITED']);
    // Another recipient has its own per-pair budget; the bytes budget is per sender.
    expect(await answer(a, sendFrame([carol], 60_000))).toBe('stored');
    expect(await answer(a, sendFrame([carol], 60_000))).toBe('RATE_LIMITED');
    const limited = a.of('error').filter((e) => e.code === 'RATE_LIMITED');
    expect(limited.every((e) => (e.retryAfterMs ?? 0) > 0)).toBe(true);
    a.close();
  });

  it('refuses stored sends above the database watermark with STORAGE_FULL, and accepts them again once acks free space', async () => {
    const relay = await start({ DB_MAX_MB: '1' });
    const alice = await accountWithDevice(relay.http, 'alice');
    const bob = await accountWithDevice(relay.http, 'bob');
    const a = await WsTestClient.connect(relay.wsUrl, alice);
    const answers: string[] = [];
    for (let i = 0; i < 40 && answers.at(-1) !== 'STORAGE_FULL'; i++) {
      answers.push(await answer(a, sendFrame([bob], 60_000)));
      await new Promise((r) => setTimeout(r, 100)); // the relay measures at most once a second
    }
    expect(answers.at(-1)).toBe('STORAGE_FULL');
    expect(answers.filter((x) => x === 'stored').length).toBeGreaterThan(3);
    // New attachment uploads are refused too.
    const upload = await deviceRequest(relay.http, alice, 'POST', '/v1/attachments', {
      size: 1000,
    });
    expect(upload.status).toBe(507);
    expect(((await upload.json()) as { error: { code: string } }).error.code).toBe('STORAGE_FULL');

    const b = await WsTestClient.connect(relay.wsUrl, bob);
    const delivered = await b.waitFor('deliver', answers.length - 1);
    b.send({ t: 'ack', qids: delivered.map((d) => d.qid ?? 0) });
    b.send({ t: 'ping', n: 1 });
    await b.waitFor('pong');
    await new Promise((r) => setTimeout(r, 1100));
    expect(await answer(a, sendFrame([bob], 60_000))).toBe('stored');
    a.close();
    b.close();
  });
});

describe('relay process: one-time prekey budgets', () => {
  it('hands out a per-window share of a target device’s one-time prekeys across all requesters, then bundles without one', async () => {
    const relay = await start({
      RATE_LIMIT_ONE_TIME_PREKEYS_PER_TARGET: '5/3600',
      RATE_LIMIT_HTTP_PER_IP: '10000/60',
    });
    const victim = await accountWithDevice(relay.http, 'victim', { oneTimePreKeys: 20 });
    const drainers = [
      await accountWithDevice(relay.http, 'drainer1', { oneTimePreKeys: 0 }),
      await accountWithDevice(relay.http, 'drainer2', { oneTimePreKeys: 0 }),
    ];
    const handedOut: number[] = [];
    for (let i = 0; i < 16; i++) {
      const res = await deviceRequest(
        relay.http,
        drainers[i % 2] as TestDevice,
        'GET',
        `/v1/users/${victim.account.userId}/bundles/${victim.deviceId}`,
      );
      const bundle = await expectJson<{ devices: { oneTimePreKey?: { id: number } }[] }>(res, 200);
      const id = bundle.devices[0]?.oneTimePreKey?.id;
      if (id !== undefined) handedOut.push(id);
    }
    expect(handedOut).toHaveLength(5);
    const status = await expectJson<{ oneTimePreKeys: number }>(
      await deviceRequest(relay.http, victim, 'GET', '/v1/prekeys'),
      200,
    );
    expect(status.oneTimePreKeys).toBe(15);
    const metrics = await (await relay.http('/metrics')).text();
    expect(metrics).toMatch(/parley_prekey_bundles_without_one_time_total\{reason="budget"\} 11/);
  });

  it('charges bundle fetches to the requesting account, not to each of its devices', async () => {
    const relay = await start({ RATE_LIMIT_BUNDLES_PER_REQUESTER: '4/3600' });
    const target = await accountWithDevice(relay.http, 'target');
    const first = await accountWithDevice(relay.http, 'fetcher');
    const second = await createDevice(first.account);
    await registerDevice(relay.http, second);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await deviceRequest(
        relay.http,
        i % 2 === 0 ? first : second,
        'GET',
        `/v1/users/${target.account.userId}/bundles/${target.deviceId}`,
      );
      await res.body?.cancel();
      statuses.push(res.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
  });
});

describe('relay process: handles', () => {
  it('answers register and login options alike for taken and free handles, naming no credentials', async () => {
    const relay = await start({});
    const alice = await accountWithDevice(relay.http, 'alice');
    const options = async (path: string, handle: string) => {
      const res = await relay.http(path, jsonInit('POST', { handle }));
      return {
        status: res.status,
        body: (await res.json()) as { options?: Record<string, unknown> },
      };
    };
    const takenReg = await options('/v1/auth/register/options', 'alice');
    const freeReg = await options('/v1/auth/register/options', 'nobody');
    expect([takenReg.status, freeReg.status]).toEqual([200, 200]);
    expect(Object.keys(takenReg.body.options ?? {}).sort()).toEqual(
      Object.keys(freeReg.body.options ?? {}).sort(),
    );
    const knownLogin = await options('/v1/auth/login/options', 'alice');
    const unknownLogin = await options('/v1/auth/login/options', 'nobody');
    expect([knownLogin.status, unknownLogin.status]).toEqual([200, 200]);
    expect(knownLogin.body.options?.allowCredentials).toBeUndefined();
    expect(unknownLogin.body.options?.allowCredentials).toBeUndefined();
    expect(Object.keys(knownLogin.body.options ?? {}).sort()).toEqual(
      Object.keys(unknownLogin.body.options ?? {}).sort(),
    );

    // The discoverable passkey still logs in (the authenticator picks it without a list) ...
    expect((await login(relay.http, alice.account)).length).toBeGreaterThan(0);
    // ... and a passkey presented against an unknown handle's challenge is refused.
    const { options: foreign } = await expectJson<{ options: never }>(
      await relay.http('/v1/auth/login/options', jsonInit('POST', { handle: 'nobody' })),
      200,
    );
    const response = await alice.account.authenticator.getAssertion(foreign);
    const refused = await relay.http('/v1/auth/login/verify', jsonInit('POST', { response }));
    expect(refused.status).toBe(401);
    // A taken handle is still refused, at the end of the ceremony.
    await expect(registerAccount(relay.http, 'alice')).rejects.toThrow(/HANDLE_TAKEN/);
  });

  it('reclaims an account that registered no device within the claim period, and keeps used ones', async () => {
    const relay = await start({ UNCLAIMED_ACCOUNT_SECONDS: '2', SWEEP_INTERVAL_SECONDS: '1' });
    await registerAccount(relay.http, 'squatter');
    await accountWithDevice(relay.http, 'alice');
    await new Promise((r) => setTimeout(r, 4000));
    const again = await registerAccount(relay.http, 'squatter');
    expect(again.handle).toBe('squatter');
    await expect(registerAccount(relay.http, 'alice')).rejects.toThrow(/HANDLE_TAKEN/);
  });
});
