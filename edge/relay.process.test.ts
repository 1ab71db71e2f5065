/**
 * Integration tests against the REAL relay: a Deno process on a free port with
 * its own libSQL file, driven over real WebSockets (the `ws` package) and HTTP,
 * with real device keys and software passkeys.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bytes, toHex } from '../shared/bytes.ts';
import { sleep, waitUntil } from '../shared/testing/wait.ts';
import { encodeCbor } from '../shared/wire/cbor.ts';
import type { SendFrame } from '../shared/wire/frames.ts';
import {
  accountWithDevice,
  createDevice,
  deviceRequest,
  expectJson,
  registerDevice,
  type TestDevice,
  uniqueMessageId,
} from './testing/client.ts';
import { freePort, RelayProcess } from './testing/relay-process.ts';
import { BACKENDS, startTestDatabase, type TestDatabase } from './testing/test-database.ts';
import { WsTestClient } from './testing/ws-client.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Every plaintext a scenario "sent"; none may ever appear in the database files. */
const plaintexts: string[] = [];

/**
 * Stands in for encryption in relay tests (the relay sees opaque bytes either
 * way): the body is the plaintext XOR a random pad, prefixed with the pad.
 */
function seal(text: string): Bytes {
  plaintexts.push(text);
  const plain = encoder.encode(text);
  const pad = crypto.getRandomValues(new Uint8Array(plain.length));
  const out = new Uint8Array(plain.length * 2);
  out.set(pad);
  plain.forEach((b, i) => {
    out[plain.length + i] = b ^ (pad[i] as number);
  });
  return out;
}

function open(body: Uint8Array): string {
  const n = body.length / 2;
  return decoder.decode(body.slice(n).map((b, i) => b ^ (body[i] as number)));
}

function sendTo(to: TestDevice, text: string, extra: Partial<SendFrame> = {}): SendFrame {
  return {
    t: 'send',
    id: uniqueMessageId(),
    to: [{ user: to.account.userId, devices: [{ device: to.deviceId, body: seal(text) }] }],
    ...extra,
  };
}

/** The database file and its write-ahead log, as bytes. */
function databaseBytes(relay: RelayProcess): Buffer[] {
  return [relay.dbPath, `${relay.dbPath}-wal`]
    .filter((p) => existsSync(p))
    .map((p) => readFileSync(p));
}

function fileContains(relay: RelayProcess, needle: Uint8Array): boolean {
  return databaseBytes(relay).some((bytes) => bytes.indexOf(Buffer.from(needle)) >= 0);
}

describe.each(BACKENDS)(
  'relay process on a %s database: sockets, queue, keys, expiry',
  (backend) => {
    let database: TestDatabase;
    let relay: RelayProcess;
    let alice: TestDevice;
    let bob: TestDevice;

    beforeAll(async () => {
      database = await startTestDatabase(backend);
      relay = await RelayProcess.start({
        ...database.relayOptions,
        env: { SWEEP_INTERVAL_SECONDS: '1' },
      });
      alice = await accountWithDevice(relay.http, 'alice', { oneTimePreKeys: 5 });
      bob = await accountWithDevice(relay.http, 'bob', { oneTimePreKeys: 12 });
    });

    afterAll(async () => {
      // Whatever the scenarios did, no plaintext ever reached the database file.
      for (const text of plaintexts) expect(fileContains(relay, encoder.encode(text))).toBe(false);
      await relay.dispose();
      await database.dispose();
    });

    it('authenticates a device by its signed challenge and rejects bad signatures, unknown devices and early frames', async () => {
      const good = await WsTestClient.connect(relay.wsUrl, alice);
      expect(good.of('ready')[0]).toMatchObject({
        user: alice.account.userId,
        device: alice.deviceId,
        oneTimePreKeys: 5,
      });
      good.close();

      const impostor = await createDevice(alice.account, { deviceId: alice.deviceId });
      const bad = await WsTestClient.open(relay.wsUrl);
      await bad.authenticate(impostor);
      expect((await bad.waitClosed()).code).toBe(1008);
      expect(bad.of('error')[0]).toMatchObject({ code: 'AUTH_FAILED' });

      const unknown = await WsTestClient.open(relay.wsUrl);
      await unknown.authenticate(await createDevice(alice.account, { deviceId: 31337 }));
      expect((await unknown.waitClosed()).code).toBe(1008);
      expect(unknown.of('error')[0]?.message).toBe('Unknown device');

      const early = await WsTestClient.open(relay.wsUrl);
      early.send(sendTo(bob, 'sent before auth'));
      expect((await early.waitFor('error'))[0]?.code).toBe('AUTH_REQUIRED');
      early.close();
      const audit = relay.output.filter(
        (l) => l.includes('audit.auth_rejected') && l.includes('ws-auth'),
      );
      expect(audit.length).toBe(2);
    });

    it('stores before answering, queues for an offline device, delivers in order, deletes on ack', async () => {
      const a = await WsTestClient.connect(relay.wsUrl, alice);
      const frames = Array.from({ length: 8 }, (_, i) => sendTo(bob, `offline message ${i}`));
      for (const f of frames) a.send(f);
      const stored = await a.waitFor('stored', 8);
      expect(stored.map((s) => toHex(s.id))).toEqual(frames.map((f) => toHex(f.id)));

      const b = await WsTestClient.connect(relay.wsUrl, bob);
      expect(b.of('ready')[0]?.queued).toBe(8);
      await b.waitFor('drained');
      a.send(sendTo(bob, 'live message'));
      const delivered = await b.waitFor('deliver', 9);
      expect(delivered.map((d) => open(d.body))).toEqual([
        ...frames.map((_, i) => `offline message ${i}`),
        'live message',
      ]);
      const kinds = b.received.map((f) => f.t);
      expect(kinds.indexOf('drained')).toBe(2 + 8);
      b.send({ t: 'ack', qids: delivered.map((d) => d.qid ?? 0) });
      b.send({ t: 'ping', n: 1 });
      await b.waitFor('pong');
      const depth = await (await relay.http('/metrics')).text();
      expect(depth).toMatch(/parley_queue_depth 0/);
      // Acknowledged ciphertext is gone from the file once the sweeper checkpoints the log.
      // Not on a remote database: the relay cannot checkpoint the server's log (docs/relay.md).
      const body = delivered[0]?.body ?? new Uint8Array();
      if (backend === 'file') await waitUntil(() => !fileContains(relay, body), 10_000, 50);
      a.close();
      b.close();
    });

    it('answers a stale device list with missing and extra ids and stores nothing', async () => {
      const bob2 = await createDevice(bob.account);
      await registerDevice(relay.http, bob2);
      const a = await WsTestClient.connect(relay.wsUrl, alice);
      const frame = sendTo(bob, 'only to one of two');
      frame.to[0]?.devices.push({ device: 99, body: seal('to nobody') });
      a.send(frame);
      const mismatch = (await a.waitFor('mismatch'))[0];
      expect(mismatch?.users).toEqual([
        { user: bob.account.userId, missing: [bob2.deviceId], extra: [99], stale: [] },
      ]);
      await expectJson(
        await relay.http(`/v1/devices/${bob2.deviceId}`, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${bob.account.token}` },
        }),
        204,
      );
      a.send(frame);
      const again = await a.waitFor('mismatch', 2);
      expect(again[1]?.users).toEqual([
        { user: bob.account.userId, missing: [], extra: [99], stale: [] },
      ]);
      a.close();
    });

    it('never hands one one-time prekey to two parallel fetches', async () => {
      const fetchers = await Promise.all(
        ['carol', 'dave', 'erin'].map((h) =>
          accountWithDevice(relay.http, h, { oneTimePreKeys: 0 }),
        ),
      );
      const requests = Array.from({ length: 30 }, (_, i) =>
        deviceRequest(
          relay.http,
          fetchers[i % 3] as TestDevice,
          'GET',
          `/v1/users/${bob.account.userId}/bundles/${bob.deviceId}`,
        ),
      );
      const ids: number[] = [];
      for (const res of await Promise.all(requests)) {
        const body = await expectJson<{ devices: { oneTimePreKey?: { id: number } }[] }>(res, 200);
        const id = body.devices[0]?.oneTimePreKey?.id;
        if (id !== undefined) ids.push(id);
      }
      expect(ids).toHaveLength(12);
      expect(new Set(ids).size).toBe(12);
    });

    it('never serves a message after expiresAt, and the sweeper erases it from the database file', async () => {
      const a = await WsTestClient.connect(relay.wsUrl, alice);
      const frame = sendTo(bob, 'disappearing message', { expiresAt: Date.now() + 1500 });
      const body = frame.to[0]?.devices[0]?.body ?? new Uint8Array();
      a.send(frame);
      await a.waitFor('stored');
      expect(fileContains(relay, body)).toBe(true);
      await sleep(1600);
      const b = await WsTestClient.connect(relay.wsUrl, bob);
      await b.waitFor('drained');
      expect(b.of('deliver').filter((d) => open(d.body) === 'disappearing message')).toEqual([]);
      if (backend === 'file') await waitUntil(() => !fileContains(relay, body), 10_000, 50);
      const expired = async () =>
        /parley_expired_total [1-9]/.test(await (await relay.http('/metrics')).text());
      await waitUntil(expired, 10_000, 100);
      a.close();
      b.close();
    });

    it('answers bad frames with stable codes, closes abusers with 1008, and keeps serving', async () => {
      const a = await WsTestClient.connect(relay.wsUrl, alice);
      a.sendBytes(new Uint8Array([0xbf, 0xff, 0x00]));
      a.sendBytes(encodeCbor({ t: 'nonsense' }));
      a.sendBytes(encodeCbor({ t: 'ack', qids: [] }));
      a.sendText('hello');
      const errors = await a.waitFor('error', 4);
      expect(errors.map((e) => e.code)).toEqual([
        'FRAME_MALFORMED',
        'FRAME_UNKNOWN_TYPE',
        'FRAME_INVALID',
        'FRAME_MALFORMED',
      ]);
      a.sendBytes(new Uint8Array(1024 * 1024 + 16));
      expect((await a.waitClosed()).code).toBe(1008);
      expect(a.of('error')[4]?.code).toBe('FRAME_TOO_LARGE');
      expect((await relay.http('/healthz')).status).toBe(200);
      const again = await WsTestClient.connect(relay.wsUrl, alice);
      again.close();
    });
  },
);

describe.each(BACKENDS)('relay process on a %s database: crash and restart', (backend) => {
  let database: TestDatabase;
  let relay: RelayProcess;
  afterAll(async () => {
    await relay.dispose();
    await database.dispose();
  });

  it('loses and duplicates nothing across kill -9 and a restart on the same database', async () => {
    database = await startTestDatabase(backend);
    relay = await RelayProcess.start(database.relayOptions);
    const alice = await accountWithDevice(relay.http, 'alice');
    const bob = await accountWithDevice(relay.http, 'bob');
    const frames = Array.from({ length: 30 }, (_, i) => sendTo(bob, `crash test ${i}`));
    const a = await WsTestClient.connect(relay.wsUrl, alice);
    for (const f of frames.slice(0, 20)) a.send(f);
    await a.waitFor('stored', 20);
    // Ten more in flight while the process dies: some may be stored, none acknowledged to us.
    for (const f of frames.slice(20)) a.send(f);
    await relay.kill9();
    await a.waitClosed();
    const storedIds = new Set(a.of('stored').map((s) => toHex(s.id)));

    await relay.restart();
    // The sender's outbox resends everything it has no `stored` for, with the same ids.
    const a2 = await WsTestClient.connect(relay.wsUrl, alice);
    const pending = frames.filter((f) => !storedIds.has(toHex(f.id)));
    for (const f of pending) a2.send(f);
    await a2.waitFor('stored', pending.length);

    const b = await WsTestClient.connect(relay.wsUrl, bob);
    await b.waitFor('drained');
    const delivered = b.of('deliver');
    expect(delivered.map((d) => open(d.body)).sort()).toEqual(
      frames.map((_, i) => `crash test ${i}`).sort(),
    );
    expect(new Set(delivered.map((d) => d.qid)).size).toBe(30);
    // Order per sender is the order the relay stored them in: the first 20 come first, in order.
    expect(delivered.slice(0, 20).map((d) => open(d.body))).toEqual(
      frames.slice(0, 20).map((_, i) => `crash test ${i}`),
    );
    b.send({ t: 'ack', qids: delivered.map((d) => d.qid ?? 0) });
    b.send({ t: 'ping', n: 2 });
    await b.waitFor('pong');
    expect(await (await relay.http('/metrics')).text()).toMatch(/parley_queue_depth 0/);
    a2.close();
    b.close();
  });

  it('shuts down gracefully: in-flight sends finish and are answered, sockets close with 1001', async () => {
    const alice = await accountWithDevice(relay.http, 'carol');
    const bob = await accountWithDevice(relay.http, 'dave');
    const a = await WsTestClient.connect(relay.wsUrl, alice);
    a.send(sendTo(bob, 'before shutdown'));
    await a.waitFor('stored');
    // A burst still on the wire when SIGTERM arrives. Frames being handled finish and are
    // answered; later ones are refused (SHUTTING_DOWN) or never read once the socket closes.
    // Either way nothing is committed without its `stored` reaching the sender, so the
    // sender's outbox knows exactly what to resend.
    for (let i = 0; i < 40; i++) a.send(sendTo(bob, `burst ${i}`));
    const exit = await relay.stop();
    expect(exit.code).toBe(0);
    expect((await a.waitClosed()).code).toBe(1001);
    const stored = a.of('stored').length;
    const refused = a.of('error').filter((e) => e.code === 'SHUTTING_DOWN').length;
    expect(stored - 1 + refused).toBeLessThanOrEqual(40);
    expect(relay.output.some((l) => l.includes('relay.stopped'))).toBe(true);
    await relay.restart();
    const b = await WsTestClient.connect(relay.wsUrl, bob);
    expect(b.of('ready')[0]?.queued).toBe(stored);
    await b.waitFor('deliver', stored);
    expect(open(b.of('deliver')[0]?.body ?? new Uint8Array())).toBe('before shutdown');
    b.close();
  });
});

describe('relay process: rate limits', () => {
  let relay: RelayProcess;
  afterAll(async () => {
    await relay.dispose();
  });

  it('answers 429 with Retry-After on HTTP and an error frame on the socket', async () => {
    relay = await RelayProcess.start({
      env: { RATE_LIMIT_HTTP_PER_IP: '8/60', RATE_LIMIT_FRAMES_PER_DEVICE: '5/10' },
    });
    const alice = await accountWithDevice(relay.http, 'alice');
    let limited: Response | undefined;
    for (let i = 0; i < 10 && limited === undefined; i++) {
      const res = await relay.http('/v1/handles/alice');
      if (res.status === 429) limited = res;
    }
    expect(limited?.status).toBe(429);
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThan(0);
    const a = await WsTestClient.connect(relay.wsUrl, alice);
    for (let n = 0; n < 8; n++) a.send({ t: 'ping', n });
    const error = (await a.waitFor('error'))[0];
    expect(error).toMatchObject({ code: 'RATE_LIMITED' });
    expect(error?.retryAfterMs).toBeGreaterThan(0);
    expect(a.of('pong').length).toBe(5);
    a.close();
  });
});

describe.each(BACKENDS)(
  'relay process on a %s database: two instances, limits in Redis',
  (backend) => {
    let database: TestDatabase;
    let redis: ChildProcess | undefined;
    const relays: RelayProcess[] = [];
    afterAll(async () => {
      for (const r of relays.reverse()) await r.dispose();
      await database.dispose();
      redis?.kill('SIGTERM');
    });

    it('shares per-IP budgets across instances through Redis, and both serve one database', async () => {
      database = await startTestDatabase(backend);
      const port = await freePort();
      redis = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], {
        stdio: 'ignore',
      });
      const env = {
        REDIS_URL: `redis://127.0.0.1:${port}`,
        TOKEN_SECRET: 'two-instance test secret, the same on both',
        RATE_LIMIT_HTTP_PER_IP: '10/60',
      };
      const first = await RelayProcess.start({ ...database.relayOptions, env });
      relays.push(first);
      const second = await RelayProcess.start({ ...database.relayOptions, env });
      relays.push(second);
      expect(first.output.some((l) => l.includes('"rateLimits":"redis"'))).toBe(true);

      // An account made on one instance is visible on the other (same database file, WAL).
      const alice = await accountWithDevice(first.http, 'alice'); // 3 requests on the first instance
      const found = await expectJson<{ user: string }>(
        await deviceRequest(second.http, alice, 'GET', '/v1/handles/alice'),
        200,
      );
      expect(found.user).toBe(alice.account.userId);
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++)
        statuses.push((await (i % 2 === 0 ? first : second).http('/v1/handles/alice')).status);
      // 3 + 1 + 6 = 10 requests allowed in total, across both instances; then 429 on either.
      expect(statuses.slice(0, 6).every((s) => s === 401)).toBe(true);
      expect(statuses.slice(6)).toEqual([429, 429]);
    });
  },
);

describe('relay process: keepalive', () => {
  let relay: RelayProcess;
  afterAll(async () => {
    await relay.dispose();
  });

  it('keeps pinging sockets open and drops silent or unauthenticated ones with 4000', async () => {
    relay = await RelayProcess.start({
      env: { WS_IDLE_TIMEOUT_SECONDS: '2', WS_AUTH_TIMEOUT_SECONDS: '1' },
    });
    const alice = await accountWithDevice(relay.http, 'alice');
    const bob = await accountWithDevice(relay.http, 'bob');
    const pinging = await WsTestClient.connect(relay.wsUrl, alice);
    const silent = await WsTestClient.connect(relay.wsUrl, bob);
    const anonymous = await WsTestClient.open(relay.wsUrl);
    let n = 0;
    const timer = setInterval(() => pinging.send({ t: 'ping', n: n++ }), 400);
    try {
      expect((await anonymous.waitClosed(5000)).code).toBe(4000);
      expect((await silent.waitClosed(6000)).code).toBe(4000);
      await sleep(1000);
      expect(pinging.of('pong').length).toBeGreaterThan(5);
    } finally {
      clearInterval(timer);
    }
    pinging.send({ t: 'ping', n: 999 });
    await waitUntil(() => pinging.of('pong').some((p) => p.n === 999), 5000, 50);
    pinging.close();
  });
});

describe('relay process: acknowledged ciphertext leaves the file without waiting for a sweep', () => {
  let relay: RelayProcess;

  beforeAll(async () => {
    // Sweeps effectively never run here: only the WAL checkpoint cadence can erase the row.
    relay = await RelayProcess.start({
      env: { SWEEP_INTERVAL_SECONDS: '3600', WAL_CHECKPOINT_SECONDS: '1' },
    });
  });

  afterAll(async () => {
    await relay.dispose();
  });

  it('truncates the write-ahead log on its own cadence after an ack', async () => {
    const alice = await accountWithDevice(relay.http, 'walalice');
    const bob = await accountWithDevice(relay.http, 'walbob');
    const a = await WsTestClient.connect(relay.wsUrl, alice);
    const b = await WsTestClient.connect(relay.wsUrl, bob);
    await b.waitFor('drained');
    const frame = sendTo(bob, 'read once, then gone');
    const body = frame.to[0]?.devices[0]?.body ?? new Uint8Array();
    a.send(frame);
    await a.waitFor('stored');
    const [delivered] = await b.waitFor('deliver');
    expect(fileContains(relay, body)).toBe(true);
    b.send({ t: 'ack', qids: [delivered?.qid ?? 0] });
    await waitUntil(() => !fileContains(relay, body), 8000, 50);
    a.close();
    b.close();
  });
});
