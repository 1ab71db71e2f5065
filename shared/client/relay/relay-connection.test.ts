import { beforeEach, describe, expect, it } from 'vitest';
import { generateSigningKeyPair } from '../../crypto/ed25519.ts';
import { decodeClientFrame, encodeServerFrame } from '../../wire/codec.ts';
import { verifySocketUnlock } from '../../wire/device-auth.ts';
import type { ClientFrame, ServerFrame } from '../../wire/frames.ts';
import type { TimerHandle, Timers } from '../deps.ts';
import { type ConnectionStatus, RelayConnection } from './relay-connection.ts';
import type { Transport, TransportHandlers } from './websocket-transport.ts';

const USER = '0b5f3a2e-9c1d-4e8f-a7b6-5d4c3b2a1f00';

/** Timers on a manual clock: nothing runs until the test advances time. */
class ManualClock implements Timers {
  now = 1_000_000;
  #next = 1;
  #timers = new Map<number, { at: number; fn: () => void }>();
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.#next++;
    this.#timers.set(id, { at: this.now + ms, fn });
    return id;
  }
  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle as number);
  }
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const due = [...this.#timers.entries()]
        .filter(([, t]) => t.at <= end)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      this.#timers.delete(due[0]);
      this.now = due[1].at;
      due[1].fn();
    }
    this.now = end;
  }
}

interface FakeSocket {
  readonly handlers: TransportHandlers;
  readonly sent: ClientFrame[];
  closed: number | undefined;
  server(frame: ServerFrame): void;
}

function fakeTransport() {
  const sockets: FakeSocket[] = [];
  const transport: Transport = (_url, handlers) => {
    const socket: FakeSocket = {
      handlers,
      sent: [],
      closed: undefined,
      server: (frame) => handlers.onMessage(encodeServerFrame(frame)),
    };
    sockets.push(socket);
    return {
      send: (data) => socket.sent.push(decodeClientFrame(data)),
      close: (code) => {
        if (socket.closed !== undefined) return;
        socket.closed = code ?? 1000;
        handlers.onClose(socket.closed, '');
      },
    };
  };
  return { sockets, transport };
}

/** Signing the challenge is real (asynchronous) WebCrypto: wait for its answer, however long a loaded machine takes. */
async function answered(socket: FakeSocket): Promise<void> {
  for (let waited = 0; socket.sent.length === 0; waited += 5) {
    if (waited > 10_000) throw new Error('no answer to the challenge');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('relay connection', () => {
  let clock: ManualClock;
  let net: ReturnType<typeof fakeTransport>;
  let frames: ServerFrame[];
  let statuses: ConnectionStatus[];
  let connection: RelayConnection;

  beforeEach(async () => {
    clock = new ManualClock();
    net = fakeTransport();
    frames = [];
    statuses = [];
    const key = (await generateSigningKeyPair(false)).privateKey;
    connection = new RelayConnection({
      url: 'ws://relay.test/v1/ws',
      transport: net.transport,
      timers: clock,
      now: () => clock.now,
      // Jitter fraction exactly 0.5.
      random: (n) => Uint8Array.from({ length: n }, (_, i) => (i === 0 ? 0x80 : 0)),
      credentials: async () => ({ user: USER, device: 7, key }),
      onFrame: (f) => frames.push(f),
      onStatus: (s) => statuses.push(s),
    });
  });

  async function handshake(index: number): Promise<FakeSocket> {
    const socket = net.sockets[index] as FakeSocket;
    socket.server({ t: 'challenge', nonce: new Uint8Array(32).fill(1), serverTime: clock.now });
    await answered(socket);
    expect(socket.sent[0]).toMatchObject({ t: 'auth', user: USER, device: 7 });
    socket.server({ t: 'ready', user: USER, device: 7, queued: 0, oneTimePreKeys: 100 });
    return socket;
  }

  it('answers the challenge with a device-key signature and goes online on ready', async () => {
    connection.start();
    expect(connection.status).toEqual({ state: 'connecting', attempt: 1 });
    expect(connection.send({ t: 'ping', n: 1 })).toBe(false);
    await handshake(0);
    expect(connection.status).toEqual({ state: 'online', since: clock.now });
    expect(frames.map((f) => f.t)).toEqual(['ready']);
    expect(connection.send({ t: 'ping', n: 1 })).toBe(true);
  });

  it('pings every 20 s and replaces a socket that stays silent after a ping', async () => {
    connection.start();
    const socket = await handshake(0);
    clock.advance(20_000);
    expect(socket.sent.filter((f) => f.t === 'ping')).toHaveLength(1);
    socket.server({ t: 'pong', n: 1 });
    clock.advance(20_000);
    expect(socket.sent.filter((f) => f.t === 'ping')).toHaveLength(2);
    clock.advance(10_000); // no answer to the second ping
    expect(socket.closed).toBe(4000);
    const retrying = connection.status;
    expect(retrying).toMatchObject({ state: 'retrying', attempt: 1, problem: 'unreachable' });
    expect(retrying.state === 'retrying' && retrying.nextRetryAt - clock.now).toBe(750);
    clock.advance(750);
    expect(net.sockets).toHaveLength(2);
    await handshake(1);
    expect(connection.status.state).toBe('online');
  });

  it('backs off exponentially with jitter while the relay is unreachable, and says when it retries', () => {
    connection.start();
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      const socket = net.sockets[i] as FakeSocket;
      socket.handlers.onClose(1006, 'refused');
      const s = connection.status;
      if (s.state !== 'retrying') throw new Error(`expected retrying, got ${s.state}`);
      waits.push(s.nextRetryAt - clock.now);
      clock.advance(s.nextRetryAt - clock.now);
    }
    expect(waits).toEqual([750, 1500, 3000, 6000, 12000]);
    expect(
      statuses
        .filter((s) => s.state === 'connecting')
        .map((s) => s.state === 'connecting' && s.attempt),
    ).toEqual([1, 2, 3, 4, 5, 6]);
  });

  /** Fails every attempt until `ms` have passed; returns the waits the connection announced. */
  function failFor(ms: number, from: number): number[] {
    const end = clock.now + ms;
    const waits: number[] = [];
    for (let i = from; clock.now < end; i++) {
      const socket = net.sockets[i] as FakeSocket;
      socket.handlers.onClose(1006, 'refused');
      const s = connection.status;
      if (s.state !== 'retrying') throw new Error(`expected retrying, got ${s.state}`);
      waits.push(s.nextRetryAt - clock.now);
      clock.advance(s.nextRetryAt - clock.now);
    }
    return waits;
  }

  it('comes back within seconds of a restarted relay that was just reachable, then backs off long', async () => {
    connection.start();
    const online = await handshake(0);
    online.handlers.onClose(1001, 'relay shutting down');
    const first = connection.status;
    expect(first.state === 'retrying' && first.nextRetryAt - clock.now).toBe(750);
    clock.advance(750);
    // A relay that takes 40 s to come back: every wait stays at a few seconds
    // (the old schedule had reached 16 and 32 s by then).
    const waits = failFor(40_000, 1);
    expect(Math.max(...waits)).toBeLessThanOrEqual(4_000);
    expect(waits.slice(-3)).toEqual([3_000, 3_000, 3_000]);
    const socket = await handshake(net.sockets.length - 1);
    expect(connection.status.state).toBe('online');
    // Gone for longer than the window (2 min): the long schedule, from its first step.
    socket.handlers.onClose(1001, 'relay shutting down');
    clock.advance(750);
    const later = failFor(200_000, net.sockets.length - 1);
    const afterWindow = later.slice(later.findIndex((w, i) => i > 0 && w < (later[i - 1] ?? 0)));
    expect(afterWindow.slice(0, 7)).toEqual([750, 1500, 3000, 6000, 12000, 24000, 45000]);
  });

  it('reconnectNow() skips the wait (network back, "Retry now")', async () => {
    connection.start();
    const online = await handshake(0);
    online.handlers.onClose(1001, 'relay shutting down');
    clock.advance(750);
    failFor(30_000, 1);
    net.sockets.at(-1)?.handlers.onClose(1006, 'refused');
    expect(connection.status.state).toBe('retrying');
    const count = net.sockets.length;
    connection.reconnectNow();
    expect(net.sockets).toHaveLength(count + 1);
    expect(connection.status.state).toBe('connecting');
    // Already connecting: a second press opens no second socket.
    connection.reconnectNow();
    expect(net.sockets).toHaveLength(count + 1);
  });

  it('gives up the handshake when no challenge arrives, and stops for good when replaced (4002)', async () => {
    connection.start();
    clock.advance(10_000);
    expect(net.sockets[0]?.closed).toBe(4000);
    clock.advance(1_000);
    const socket = await handshake(1);
    socket.handlers.onClose(4002, 'replaced');
    expect(connection.status).toEqual({ state: 'stopped', reason: 'replaced' });
    clock.advance(120_000);
    expect(net.sockets).toHaveLength(2);
  });

  it('stop() closes the socket and cancels every timer', async () => {
    connection.start();
    const socket = await handshake(0);
    connection.stop();
    expect(socket.closed).toBe(1000);
    expect(connection.status).toEqual({ state: 'idle' });
    clock.advance(600_000);
    expect(net.sockets).toHaveLength(1);
    expect(socket.sent.filter((f) => f.t === 'ping')).toHaveLength(0);
  });
});

describe('relay connection: the unlock proof', () => {
  const SEND: ClientFrame = {
    t: 'send',
    id: new Uint8Array(16),
    to: [{ user: USER, devices: [{ device: 1, body: new Uint8Array(8) }] }],
  };
  let clock: ManualClock;
  let net: ReturnType<typeof fakeTransport>;
  let identity: Awaited<ReturnType<typeof generateSigningKeyPair>>;
  let unlocked: boolean;
  let writable: number;
  let connection: RelayConnection;

  beforeEach(async () => {
    clock = new ManualClock();
    net = fakeTransport();
    identity = await generateSigningKeyPair(false);
    unlocked = false;
    writable = 0;
    const key = (await generateSigningKeyPair(false)).privateKey;
    connection = new RelayConnection({
      url: 'ws://relay.test/v1/ws',
      transport: net.transport,
      timers: clock,
      now: () => clock.now,
      random: (n) => new Uint8Array(n),
      credentials: async () => ({ user: USER, device: 7, key }),
      unlockKey: () => (unlocked ? identity.privateKey : undefined),
      onWritable: () => writable++,
      onFrame: () => {},
    });
  });

  function challenge(socket: FakeSocket, fill: number): Uint8Array {
    const nonce = new Uint8Array(32).fill(fill);
    socket.server({ t: 'challenge', nonce, serverTime: clock.now });
    return nonce;
  }

  const ready = (socket: FakeSocket) =>
    socket.server({ t: 'ready', user: USER, device: 7, queued: 0, oneTimePreKeys: 100 });

  async function provesWith(frame: ClientFrame | undefined, nonce: Uint8Array): Promise<boolean> {
    if (frame?.t !== 'unlock') return false;
    return verifySocketUnlock(identity.publicKey, nonce, { user: USER, device: 7 }, frame);
  }

  it('while unlocked: unlock goes right behind auth on every socket, and sends are allowed from ready', async () => {
    unlocked = true;
    connection.start();
    const first = net.sockets[0] as FakeSocket;
    const nonce = challenge(first, 1);
    await answered(first);
    expect(first.sent.map((f) => f.t)).toEqual(['auth', 'unlock']);
    expect(await provesWith(first.sent[1], nonce)).toBe(true);
    ready(first);
    expect(connection.writable).toBe(true);
    expect(connection.send(SEND)).toBe(true);
    // A reconnect proves it again, over the new socket's nonce.
    first.handlers.onClose(1001, 'relay shutting down');
    clock.advance(1_000);
    const second = net.sockets[1] as FakeSocket;
    const again = challenge(second, 2);
    await answered(second);
    expect(second.sent.map((f) => f.t)).toEqual(['auth', 'unlock']);
    expect(await provesWith(second.sent[1], again)).toBe(true);
    expect(await provesWith(second.sent[1], nonce)).toBe(false);
  });

  it('while locked: receive-only; unlocking on the open socket proves it without a reconnect', async () => {
    connection.start();
    const socket = net.sockets[0] as FakeSocket;
    const nonce = challenge(socket, 3);
    await answered(socket);
    expect(socket.sent.map((f) => f.t)).toEqual(['auth']);
    ready(socket);
    expect(connection.online).toBe(true);
    expect(connection.writable).toBe(false);
    expect(connection.send(SEND)).toBe(false);
    expect(connection.send({ t: 'ack', qids: [1] })).toBe(true);
    expect(await connection.unlock()).toBe(false); // still locked
    unlocked = true;
    expect(await connection.unlock()).toBe(true);
    expect(writable).toBe(1);
    expect(await provesWith(socket.sent.at(-1), nonce)).toBe(true);
    expect(connection.send(SEND)).toBe(true);
    expect(await connection.unlock()).toBe(true);
    expect(socket.sent.filter((f) => f.t === 'unlock')).toHaveLength(1);
    expect(net.sockets).toHaveLength(1);
  });

  it('proves it after ready when the vault opened during the handshake', async () => {
    connection.start();
    const socket = net.sockets[0] as FakeSocket;
    const nonce = challenge(socket, 4);
    await answered(socket);
    unlocked = true;
    ready(socket);
    for (let waited = 0; writable === 0; waited += 5) {
      if (waited > 10_000) throw new Error('no unlock proof');
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(socket.sent.map((f) => f.t)).toEqual(['auth', 'unlock']);
    expect(await provesWith(socket.sent[1], nonce)).toBe(true);
    expect(connection.writable).toBe(true);
  });
});
