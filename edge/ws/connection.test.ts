import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Bytes } from '../../shared/bytes.ts';
import { createAuthFrame } from '../../shared/wire/device-auth.ts';
import type { SendFrame } from '../../shared/wire/frames.ts';
import {
  accountWithDevice,
  authFrameFor,
  createDevice,
  expectJson,
  managementRequest,
  registerDevice,
  type TestDevice,
  unlockFrameFor,
} from '../testing/client.ts';
import { publishBody, signedListOf } from '../testing/device-lists.ts';
import { connectDevice, openSocket } from '../testing/fake-socket.ts';
import { type InProcessRelay, startInProcess } from '../testing/in-process.ts';
import { CloseCode } from './socket.ts';

let t: InProcessRelay;
let alice: TestDevice;
let bob: TestDevice;

beforeEach(async () => {
  t = await startInProcess({ RATE_LIMIT_FRAMES_PER_DEVICE: '40/1', WS_ERROR_BUDGET: '5' });
  alice = await accountWithDevice(t.http, 'alice', { oneTimePreKeys: 3 });
  bob = await accountWithDevice(t.http, 'bob');
});
afterEach(async () => {
  await t.close();
});

let counter = 0;
function messageId(): Bytes {
  const id = new Uint8Array(16);
  new DataView(id.buffer).setUint32(12, ++counter);
  return id;
}

function body(text: string): Bytes {
  return new TextEncoder().encode(text);
}

function sendTo(to: TestDevice, text: string, extra: Partial<SendFrame> = {}): SendFrame {
  return {
    t: 'send',
    id: messageId(),
    to: [{ user: to.account.userId, devices: [{ device: to.deviceId, body: body(text) }] }],
    ...extra,
  };
}

async function queued(): Promise<number> {
  const rows = await t.relay.database.client.execute('SELECT COUNT(*) AS n FROM queue');
  return Number(rows.rows[0]?.n);
}

describe('socket authentication', () => {
  it('opens with a challenge, then ready (with queue and prekey counts) and drained', async () => {
    const socket = await connectDevice(t.relay, alice);
    expect(socket.received[0]?.t).toBe('challenge');
    expect(socket.of('ready')[0]).toMatchObject({
      user: alice.account.userId,
      device: alice.deviceId,
      queued: 0,
      oneTimePreKeys: 3,
    });
    await socket.waitFor('drained');
  });

  it('accepts nothing before auth: AUTH_REQUIRED, and the budget closes the socket with 1008', async () => {
    const socket = openSocket(t.relay);
    for (let i = 0; i < 5; i++) socket.sendFrame(sendTo(bob, `early ${i}`));
    expect(await socket.waitClosed()).toMatchObject({ code: CloseCode.POLICY });
    expect(socket.of('error').map((e) => e.code)).toEqual(Array(5).fill('AUTH_REQUIRED'));
    expect(await queued()).toBe(0);
  });

  it('rejects a bad signature and an unknown device, audited, closing with 1008', async () => {
    const socket = openSocket(t.relay);
    const nonce = socket.of('challenge')[0]?.nonce ?? new Uint8Array(32);
    const other = await createDevice(alice.account, { deviceId: alice.deviceId });
    socket.sendFrame(
      await createAuthFrame(
        other.deviceKey.privateKey,
        nonce,
        alice.account.userId,
        alice.deviceId,
      ),
    );
    expect(await socket.waitClosed()).toMatchObject({ code: CloseCode.POLICY });
    expect(socket.of('error')[0]).toMatchObject({
      code: 'AUTH_FAILED',
      message: 'Signature does not verify',
    });

    const s2 = openSocket(t.relay);
    const n2 = s2.of('challenge')[0]?.nonce ?? new Uint8Array(32);
    s2.sendFrame(await createAuthFrame(alice.deviceKey.privateKey, n2, alice.account.userId, 4242));
    await s2.waitClosed();
    expect(s2.of('error')[0]).toMatchObject({ code: 'AUTH_FAILED', message: 'Unknown device' });

    const s3 = openSocket(t.relay);
    // A signature over another socket's nonce (replay) fails too.
    s3.sendFrame(await authFrameFor(alice, nonce));
    await s3.waitClosed();
    expect(s3.of('error')[0]?.code).toBe('AUTH_FAILED');
    expect(
      t.relay.metrics.authFailures.get({ kind: 'ws-auth', code: 'AUTH_FAILED:signature' }),
    ).toBe(2);
    expect(
      t.relay.metrics.authFailures.get({ kind: 'ws-auth', code: 'AUTH_FAILED:unknown-device' }),
    ).toBe(1);
  });

  it('closes sockets that never authenticate or go silent', async () => {
    const idle = openSocket(t.relay);
    const ready = await connectDevice(t.relay, alice);
    t.setNow(t.now() + 11_000);
    t.relay.hub.tick();
    expect(idle.closedWith?.code).toBe(CloseCode.TIMEOUT);
    expect(ready.closedWith).toBeUndefined();
    ready.sendFrame({ t: 'ping', n: 7 });
    expect((await ready.waitFor('pong'))[0]?.n).toBe(7);
    t.setNow(t.now() + 61_000);
    t.relay.hub.tick();
    expect(ready.closedWith?.code).toBe(CloseCode.TIMEOUT);
    expect(t.relay.hub.size).toBe(0);
  });
});

describe('socket rights', () => {
  it('a socket with the device key alone receives, acks and pings but may not send until unlocked', async () => {
    const b = await connectDevice(t.relay, bob);
    const a = await connectDevice(t.relay, alice, { unlock: false });
    const nonce = a.of('challenge')[0]?.nonce ?? new Uint8Array(32);
    const refused = sendTo(bob, 'not yet');
    a.sendFrame(refused);
    a.sendFrame(sendTo(bob, 'typing', { transient: true }));
    a.sendFrame({ t: 'ping', n: 1 });
    await a.waitFor('pong');
    expect(a.of('error').map((e) => [e.code, e.ref])).toEqual([
      ['SEND_NOT_ALLOWED', refused.id],
      ['SEND_NOT_ALLOWED', expect.any(Uint8Array)],
    ]);
    expect(await queued()).toBe(0);
    expect(b.of('deliver')).toHaveLength(0);
    b.sendFrame(sendTo(alice, 'to the locked one'));
    const [delivered] = await a.waitFor('deliver');
    a.sendFrame({ t: 'ack', qids: [delivered?.qid as number] });
    await waitUntilQueued(0);
    a.sendFrame(await unlockFrameFor(alice, nonce));
    a.sendFrame(refused);
    await a.waitFor('stored');
    expect((await b.waitFor('deliver'))[0]?.id).toEqual(refused.id);
    expect(a.closedWith).toBeUndefined();
  });

  it('answers unlock before auth with AUTH_REQUIRED', async () => {
    const socket = openSocket(t.relay);
    const nonce = socket.of('challenge')[0]?.nonce ?? new Uint8Array(32);
    socket.sendFrame(await unlockFrameFor(alice, nonce));
    expect((await socket.waitFor('error'))[0]?.code).toBe('AUTH_REQUIRED');
  });
});

async function waitUntilQueued(n: number): Promise<void> {
  for (let i = 0; (await queued()) !== n; i++) {
    if (i > 300) throw new Error(`queue never reached ${n}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('send, deliver, ack', () => {
  it('stores before answering, delivers live in order, deletes only on ack', async () => {
    const a = await connectDevice(t.relay, alice);
    const b = await connectDevice(t.relay, bob);
    const frames = [1, 2, 3].map((i) => sendTo(bob, `hello ${i}`));
    for (const f of frames) a.sendFrame(f);
    const stored = await a.waitFor('stored', 3);
    expect(stored.map((s) => s.id)).toEqual(frames.map((f) => f.id));
    const delivered = await b.waitFor('deliver', 3);
    expect(delivered.map((d) => new TextDecoder().decode(d.body))).toEqual([
      'hello 1',
      'hello 2',
      'hello 3',
    ]);
    expect(delivered[0]).toMatchObject({ from: alice.account.userId, fromDevice: alice.deviceId });
    expect(await queued()).toBe(3);
    b.sendFrame({ t: 'ack', qids: delivered.slice(0, 2).map((d) => d.qid ?? 0) });
    await vi.waitFor(async () => expect(await queued()).toBe(1), { timeout: 10_000 });
  });

  it('queues for an offline device and delivers the backlog in order on connect, then drained, then live', async () => {
    const a = await connectDevice(t.relay, alice);
    for (let i = 0; i < 5; i++) a.sendFrame(sendTo(bob, `offline ${i}`));
    await a.waitFor('stored', 5);
    const b = await connectDevice(t.relay, bob);
    expect(b.of('ready')[0]?.queued).toBe(5);
    await b.waitFor('drained');
    a.sendFrame(sendTo(bob, 'live'));
    const all = await b.waitFor('deliver', 6);
    const order = b.received.map((f) =>
      f.t === 'deliver' ? new TextDecoder().decode(f.body) : f.t,
    );
    expect(order).toEqual([
      'challenge',
      'ready',
      'offline 0',
      'offline 1',
      'offline 2',
      'offline 3',
      'offline 4',
      'drained',
      'live',
    ]);
    expect(all.map((d) => d.qid)).toEqual(
      [...all.map((d) => d.qid)].sort((x, y) => (x ?? 0) - (y ?? 0)),
    );
  });

  it('redelivers unacknowledged messages after a reconnect, with the same ids', async () => {
    const a = await connectDevice(t.relay, alice);
    a.sendFrame(sendTo(bob, 'once'));
    await a.waitFor('stored');
    const b1 = await connectDevice(t.relay, bob);
    const first = (await b1.waitFor('deliver'))[0];
    b1.connection?.closed();
    const b2 = await connectDevice(t.relay, bob);
    const second = (await b2.waitFor('deliver'))[0];
    expect(second?.qid).toBe(first?.qid);
    expect(second?.id).toEqual(first?.id);
    b2.sendFrame({ t: 'ack', qids: [second?.qid ?? 0] });
    await vi.waitFor(async () => expect(await queued()).toBe(0), { timeout: 10_000 });
  });

  it('makes a resend of the same message id idempotent', async () => {
    const a = await connectDevice(t.relay, alice);
    const frame = sendTo(bob, 'dup');
    a.sendFrame(frame);
    a.sendFrame(frame);
    await a.waitFor('stored', 2);
    expect(await queued()).toBe(1);
  });

  it('lets only the recipient acknowledge its own rows', async () => {
    const a = await connectDevice(t.relay, alice);
    a.sendFrame(sendTo(bob, 'mine'));
    await a.waitFor('stored');
    const qid = Number(
      (await t.relay.database.client.execute('SELECT seq FROM queue')).rows[0]?.seq,
    );
    a.sendFrame({ t: 'ack', qids: [qid] });
    a.sendFrame({ t: 'ping', n: 1 });
    await a.waitFor('pong');
    expect(await queued()).toBe(1);
  });

  it('answers a stale device list with missing, extra and stale ids and stores nothing', async () => {
    const bob2 = await createDevice(bob.account);
    await registerDevice(t.http, bob2);
    const gone = await createDevice(bob.account);
    await registerDevice(t.http, gone);
    await t.relay.devices.remove(bob.account.userId, gone.deviceId);
    const alice2 = await createDevice(alice.account);
    await registerDevice(t.http, alice2);
    const a = await connectDevice(t.relay, alice);
    a.sendFrame({
      t: 'send',
      id: messageId(),
      to: [
        {
          user: bob.account.userId,
          devices: [
            { device: bob.deviceId, body: body('x') },
            { device: gone.deviceId, body: body('x') },
            { device: 777, body: body('x') },
          ],
        },
        // The sender's own user: its other device is missing, and the sender itself is extra.
        { user: alice.account.userId, devices: [{ device: alice.deviceId, body: body('x') }] },
      ],
    });
    const mismatch = (await a.waitFor('mismatch'))[0];
    expect(mismatch?.users).toEqual([
      { user: bob.account.userId, missing: [bob2.deviceId], extra: [777], stale: [gone.deviceId] },
      {
        user: alice.account.userId,
        missing: [alice2.deviceId],
        extra: [alice.deviceId],
        stale: [],
      },
    ]);
    expect(await queued()).toBe(0);
  });

  // docs/protocol.md, "Own devices in every send": the sender names its own account with the
  // devices it knows of, possibly none, and the relay checks it like any other.
  it('answers an own account named with no devices with its other routed devices missing', async () => {
    const alice2 = await createDevice(alice.account);
    await registerDevice(t.http, alice2);
    const a = await connectDevice(t.relay, alice);
    const frame = sendTo(bob, 'hello');
    frame.to.push({ user: alice.account.userId, devices: [] });
    a.sendFrame(frame);
    const mismatch = (await a.waitFor('mismatch'))[0];
    expect(mismatch?.users).toEqual([
      { user: alice.account.userId, missing: [alice2.deviceId], extra: [], stale: [] },
    ]);
    expect(await queued()).toBe(0);
    // The resend with the sibling added (same id) is stored once per device.
    a.sendFrame({
      ...frame,
      to: [
        frame.to[0] as SendFrame['to'][number],
        { user: alice.account.userId, devices: [{ device: alice2.deviceId, body: body('copy') }] },
      ],
    });
    await a.waitFor('stored');
    expect(await queued()).toBe(2);
  });

  it('stores a frame naming its own account with no devices when the sender has no other', async () => {
    const a = await connectDevice(t.relay, alice);
    const frame = sendTo(bob, 'hello');
    frame.to.push({ user: alice.account.userId, devices: [] });
    a.sendFrame(frame);
    expect((await a.waitFor('stored'))[0]?.id).toEqual(frame.id);
    expect(await queued()).toBe(1);
    // Only our own account, no other device: nothing to store, still `stored`.
    const own: SendFrame = {
      t: 'send',
      id: messageId(),
      to: [{ user: alice.account.userId, devices: [] }],
    };
    a.sendFrame(own);
    await a.waitFor('stored', 2);
    expect(a.of('mismatch')).toEqual([]);
    expect(await queued()).toBe(1);
  });

  it('does not ask for own devices a frame does not name (receipts, retries, key frames, transient)', async () => {
    const alice2 = await createDevice(alice.account);
    await registerDevice(t.http, alice2);
    const a = await connectDevice(t.relay, alice);
    await connectDevice(t.relay, bob);
    a.sendFrame(sendTo(bob, 'delivered receipt'));
    a.sendFrame(sendTo(bob, 'typing', { transient: true }));
    await a.waitFor('stored', 2);
    expect(a.of('mismatch')).toEqual([]);
    expect(await queued()).toBe(1);
  });

  it('does not count a registered device that the signed list does not name yet', async () => {
    const v1 = await signedListOf([alice]);
    await expectJson(
      await managementRequest(t.http, alice, 'PUT', '/v1/device-list', publishBody(v1)),
      200,
    );
    const late = await createDevice(alice.account);
    await registerDevice(t.http, late);
    const a = await connectDevice(t.relay, alice);
    const frame = sendTo(bob, 'hello');
    frame.to.push({ user: alice.account.userId, devices: [] });
    a.sendFrame(frame);
    await a.waitFor('stored');
    expect(a.of('mismatch')).toEqual([]);
    expect(await queued()).toBe(1);
  });

  it('drops sends to an account that blocked the sender, without telling the sender', async () => {
    await t.relay.devices.block(bob.account.userId, alice.account.userId);
    const a = await connectDevice(t.relay, alice);
    a.sendFrame(sendTo(bob, 'unwanted'));
    await a.waitFor('stored');
    expect(await queued()).toBe(0);
  });

  it('fans a shared body out to every addressed device', async () => {
    const bob2 = await createDevice(bob.account);
    await registerDevice(t.http, bob2);
    const a = await connectDevice(t.relay, alice);
    a.sendFrame({
      t: 'send',
      id: messageId(),
      body: body('group'),
      to: [
        {
          user: bob.account.userId,
          devices: [{ device: bob.deviceId }, { device: bob2.deviceId }],
        },
      ],
    });
    await a.waitFor('stored');
    expect(await queued()).toBe(2);
  });

  it('never stores transient frames and hands them only to connected devices', async () => {
    const a = await connectDevice(t.relay, alice);
    const b = await connectDevice(t.relay, bob);
    a.sendFrame(sendTo(bob, 'typing…', { transient: true }));
    await a.waitFor('stored');
    const d = (await b.waitFor('deliver'))[0];
    expect(d?.qid).toBeUndefined();
    expect(await queued()).toBe(0);
  });

  it('never serves a message after its expiresAt and rejects expiry outside the allowed range', async () => {
    const a = await connectDevice(t.relay, alice);
    a.sendFrame(sendTo(bob, 'short-lived', { expiresAt: t.now() + 1000 }));
    a.sendFrame(sendTo(bob, 'long-lived'));
    await a.waitFor('stored', 2);
    a.sendFrame(sendTo(bob, 'past', { expiresAt: t.now() - 1 }));
    a.sendFrame(sendTo(bob, 'too far', { expiresAt: t.now() + 31 * 86_400_000 }));
    const errors = await a.waitFor('error', 2);
    expect(errors.map((e) => e.code)).toEqual(['EXPIRES_AT_INVALID', 'EXPIRES_AT_INVALID']);
    expect(errors[0]?.ref).toBeDefined();
    t.setNow(t.now() + 1001);
    const b = await connectDevice(t.relay, bob);
    await b.waitFor('drained');
    expect(b.of('deliver').map((d) => new TextDecoder().decode(d.body))).toEqual(['long-lived']);
    const swept = await t.relay.sweeper.sweep();
    expect(swept.messages).toBe(1);
    expect(await queued()).toBe(1);
  });

  it('closes the older socket when a device connects again, and revoked devices are cut off', async () => {
    const first = await connectDevice(t.relay, bob);
    const second = await connectDevice(t.relay, bob);
    expect(first.closedWith?.code).toBe(CloseCode.REPLACED);
    expect(second.closedWith).toBeUndefined();
    await t.relay.devices.remove(bob.account.userId, bob.deviceId);
    expect(second.closedWith?.code).toBe(CloseCode.REVOKED);
  });
});

describe('bad input on the socket', () => {
  it('answers malformed CBOR, unknown types, invalid fields, text and oversized frames with stable codes; stores nothing', async () => {
    const a = await connectDevice(t.relay, alice);
    a.push(new Uint8Array([0xff, 0x00, 0x13]));
    a.sendRaw({ t: 'launch-missiles' });
    a.sendRaw({ t: 'send', id: new Uint8Array(3), to: [] });
    a.push('{"t":"send"}');
    const errors = await a.waitFor('error', 4);
    expect(errors.map((e) => e.code)).toEqual([
      'FRAME_MALFORMED',
      'FRAME_UNKNOWN_TYPE',
      'FRAME_INVALID',
      'FRAME_MALFORMED',
    ]);
    a.push(new Uint8Array(1024 * 1024 + 1));
    expect(await a.waitClosed()).toMatchObject({ code: CloseCode.POLICY });
    expect((await a.waitFor('error', 5))[4]?.code).toBe('FRAME_TOO_LARGE');
    expect(await queued()).toBe(0);
  });

  it('caps pre-auth frames at 1 KiB', async () => {
    const s = openSocket(t.relay);
    s.push(new Uint8Array(2048));
    expect((await s.waitFor('error'))[0]?.code).toBe('FRAME_TOO_LARGE');
  });

  it('rate-limits frames per device with an error frame carrying retryAfterMs', async () => {
    const a = await connectDevice(t.relay, alice);
    for (let i = 0; i < 45; i++) a.sendFrame({ t: 'ping', n: i });
    const limited = await a.waitFor('error');
    expect(limited[0]).toMatchObject({ code: 'RATE_LIMITED' });
    expect(limited[0]?.retryAfterMs).toBeGreaterThan(0);
    expect(a.closedWith).toBeUndefined();
  });

  it('keeps serving after a handler failure (database closed under it) and reports INTERNAL', async () => {
    const a = await connectDevice(t.relay, alice);
    const original = t.relay.messages.send.bind(t.relay.messages);
    t.relay.messages.send = () => Promise.reject(new Error('disk on fire params: secret-bytes'));
    a.sendFrame(sendTo(bob, 'x'));
    expect((await a.waitFor('error'))[0]?.code).toBe('INTERNAL');
    t.relay.messages.send = original;
    a.sendFrame(sendTo(bob, 'y'));
    await a.waitFor('stored');
    expect(t.log.lines.some((l) => l.includes('secret-bytes'))).toBe(false);
  });
});

describe('delivery when another instance announces a row', () => {
  it('reads again until an announced row shows up, instead of waiting for the next signal', async () => {
    const socket = await connectDevice(t.relay, bob);
    await socket.waitFor('drained');
    // Another process commits a row for bob; its announcement (seq) arrives before this
    // process's reads can see it. Simulated: announce first, write the row a moment later.
    const next = Number(
      (
        await t.relay.database.client.execute(
          "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'queue'), 0) + 1 AS s",
        )
      ).rows[0]?.s,
    );
    await t.relay.fanout.signal(
      { accountId: bob.account.userId, deviceId: bob.deviceId },
      { type: 'queued', seq: next },
    );
    await new Promise((r) => setTimeout(r, 3));
    await t.relay.database.client.execute({
      sql: `INSERT INTO queue (recipient_account, recipient_device, sender_account, sender_device,
              client_message_id, ciphertext, created_at, expires_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      args: [
        bob.account.userId,
        bob.deviceId,
        alice.account.userId,
        alice.deviceId,
        messageId(),
        body('written elsewhere'),
        t.now(),
        t.now() + 60_000,
      ],
    });
    const [delivered] = await socket.waitFor('deliver', 1, 2000);
    expect(delivered?.qid).toBe(next);
    expect(new TextDecoder().decode(delivered?.body)).toBe('written elsewhere');
  });
});

describe('memory bounds (docs/relay.md, "Limits and abuse")', () => {
  it('closes a pre-auth socket with 1009 on its first oversized message, without queuing it', async () => {
    const socket = openSocket(t.relay);
    socket.push(new Uint8Array(1025).buffer);
    expect(await socket.waitClosed()).toMatchObject({ code: CloseCode.TOO_BIG });
    expect(socket.of('error').map((e) => e.code)).toEqual(['FRAME_TOO_LARGE']);
    // A second one after the close is ignored (nothing read, nothing answered).
    socket.push(new Uint8Array(64 * 1024).buffer);
    expect(socket.of('error')).toHaveLength(1);
  });

  it('answers an oversized frame after auth with FRAME_TOO_LARGE and keeps the socket', async () => {
    const a = await connectDevice(t.relay, alice);
    a.push(new Uint8Array(1024 * 1024 + 1).buffer);
    expect((await a.waitFor('error'))[0]?.code).toBe('FRAME_TOO_LARGE');
    a.sendFrame({ t: 'ping', n: 7 });
    expect((await a.waitFor('pong'))[0]?.n).toBe(7);
    expect(a.closedWith).toBeUndefined();
  });

  it('drops transient copies for a socket that is behind, and sends again once it drains', async () => {
    const a = await connectDevice(t.relay, alice);
    const b = await connectDevice(t.relay, bob);
    await b.waitFor('drained');
    b.bufferedAmount = 1024 * 1024;
    a.sendFrame(sendTo(bob, 'typing 1', { transient: true }));
    await a.waitFor('stored');
    expect(b.of('deliver')).toHaveLength(0);
    expect(t.relay.metrics.transientDropped.get({ reason: 'behind' })).toBe(1);
    b.bufferedAmount = 0;
    a.sendFrame(sendTo(bob, 'typing 2', { transient: true }));
    const [d] = await b.waitFor('deliver');
    expect(new TextDecoder().decode(d?.body)).toBe('typing 2');
  });

  it('sends at most the per-recipient budget of transient copies per window', async () => {
    await t.close();
    t = await startInProcess({ RATE_LIMIT_TRANSIENT_PER_RECIPIENT: '3/10' });
    alice = await accountWithDevice(t.http, 'alice');
    bob = await accountWithDevice(t.http, 'bob');
    const a = await connectDevice(t.relay, alice);
    const b = await connectDevice(t.relay, bob);
    await b.waitFor('drained');
    for (let i = 0; i < 5; i++) a.sendFrame(sendTo(bob, `typing ${i}`, { transient: true }));
    await a.waitFor('stored', 5);
    expect(b.of('deliver')).toHaveLength(3);
    expect(t.relay.metrics.transientDropped.get({ reason: 'budget' })).toBe(2);
    t.setNow(t.now() + 10_000);
    a.sendFrame(sendTo(bob, 'typing again', { transient: true }));
    await b.waitFor('deliver', 4);
  });

  it('closes a socket whose send buffer stays over the mark (4003), not one that dips below', async () => {
    const b = await connectDevice(t.relay, bob);
    const connection = b.connection;
    if (connection === undefined) throw new Error('no connection');
    const start = t.now();
    b.bufferedAmount = 5 * 1024 * 1024;
    connection.tick(start);
    b.bufferedAmount = 0; // it read something: the clock starts again
    connection.tick(start + 20_000);
    b.bufferedAmount = 5 * 1024 * 1024;
    connection.tick(start + 21_000);
    connection.tick(start + 50_000);
    expect(b.closedWith).toBeUndefined();
    connection.tick(start + 51_001);
    expect(b.closedWith).toMatchObject({ code: CloseCode.TOO_SLOW });
  });
});
