/**
 * Issue 11 items 1-2 against the REAL relay process: what an anonymous or
 * free client can make the relay hold in memory. Oversized pre-auth
 * WebSocket messages, chunked HTTP bodies, unauthenticated sockets, and
 * transient (typing) copies are all capped; the relay stays healthy.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { waitFor } from '../shared/testing/wait.ts';
import { encodeCbor } from '../shared/wire/cbor.ts';
import { TRANSIENT_BODY_MAX_BYTES } from '../shared/wire/limits.ts';
import {
  accountWithDevice,
  createDevice,
  registerAccount,
  registerDevice,
  type TestDevice,
  uniqueMessageId,
} from './testing/client.ts';
import { RelayProcess } from './testing/relay-process.ts';
import { WsTestClient } from './testing/ws-client.ts';

const MiB = 1024 * 1024;

let relay: RelayProcess;

beforeAll(async () => {
  relay = await RelayProcess.start({
    env: {
      LOG_LEVEL: 'warn',
      WS_PREAUTH_SOCKETS_PER_IP: '2',
      RATE_LIMIT_TRANSIENT_PER_RECIPIENT: '20/60',
    },
  });
});
afterAll(async () => {
  await relay?.dispose();
});

async function healthy(): Promise<boolean> {
  return (await relay.http('/healthz')).ok;
}

/** The relay's resident memory, in bytes. */
function relayRss(): number {
  const line = readFileSync(`/proc/${relay.pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0) * 1024;
}

/** Runs `work` and returns how far the relay's RSS rose above its level at the start. */
async function rssGrowth<T>(work: () => Promise<T>): Promise<{ result: T; grewBytes: number }> {
  const start = relayRss();
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, relayRss());
  }, 10);
  try {
    const result = await work();
    peak = Math.max(peak, relayRss());
    return { result, grewBytes: peak - start };
  } finally {
    clearInterval(timer);
  }
}

/** Sends a chunked body of up to `totalBytes`, stopping when the answer arrives. */
function chunkedPost(
  path: string,
  totalBytes: number,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = request(
      {
        host: '127.0.0.1',
        port: relay.port,
        method: 'POST',
        path,
        headers: {
          'content-type': 'application/json',
          'transfer-encoding': 'chunked',
          ...headers,
        },
      },
      (res) => {
        answered = true;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    const pump = () => {
      while (!answered && sent < totalBytes) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!answered) req.end();
    };
    pump();
  });
}

/** Opens a raw socket; resolves 'open' or the HTTP status that refused the upgrade. */
function rawSocket(): Promise<{ socket: WebSocket; outcome: 'open' | number }> {
  const socket = new WebSocket(relay.wsUrl);
  socket.on('error', () => {});
  return new Promise((resolve) => {
    socket.once('open', () => resolve({ socket, outcome: 'open' }));
    socket.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve({ socket, outcome: res.statusCode ?? 0 });
    });
  });
}

function closeCode(socket: WebSocket): Promise<number> {
  return new Promise((resolve) => socket.once('close', (code) => resolve(code)));
}

describe('relay memory bounds (docs/relay.md, "Limits and abuse")', () => {
  it('closes a pre-auth socket with 1009 on its first oversized message and stays healthy', async () => {
    const { socket, outcome } = await rawSocket();
    expect(outcome).toBe('open');
    const closed = closeCode(socket);
    socket.send(Buffer.alloc(2 * MiB, 0x41));
    expect(await closed).toBe(1009);
    expect(await healthy()).toBe(true);
    const device = await accountWithDevice(relay.http, 'after_big_frame', { oneTimePreKeys: 0 });
    const client = await WsTestClient.connect(relay.wsUrl, device);
    client.close();
  });

  it('answers a chunked oversized POST with 413 BODY_TOO_LARGE without reading it whole, before auth', async () => {
    // Reading 64 MiB whole (as before) costs the relay at least 64 MiB; a capped read, nothing.
    const total = 64 * MiB;
    const login = await rssGrowth(() => chunkedPost('/v1/auth/login/verify', total));
    expect(login.result.status).toBe(413);
    expect(JSON.parse(login.result.body).error.code).toBe('BODY_TOO_LARGE');
    expect(login.grewBytes).toBeLessThan(24 * MiB);
    // A route behind session auth: the body cap answers first, not AUTH_REQUIRED.
    const devices = await rssGrowth(() => chunkedPost('/v1/devices', total));
    expect(devices.result.status).toBe(413);
    expect(devices.grewBytes).toBeLessThan(24 * MiB);
    expect(await healthy()).toBe(true);
  });

  it('caps unauthenticated sockets per IP; authenticating or closing gives the slot back', async () => {
    const device = await accountWithDevice(relay.http, 'preauth_slots', { oneTimePreKeys: 0 });
    const first = await WsTestClient.open(relay.wsUrl);
    const second = await rawSocket();
    expect(second.outcome).toBe('open');
    const third = await rawSocket();
    expect(third.outcome).toBe(429);
    // Authenticating frees a slot.
    await first.authenticate(device);
    await first.waitFor('ready');
    const fourth = await rawSocket();
    expect(fourth.outcome).toBe('open');
    expect((await rawSocket()).outcome).toBe(429);
    // So does the transport closing.
    const gone = closeCode(second.socket);
    second.socket.terminate();
    await gone;
    const fifth = await waitFor(async () => {
      const next = await rawSocket();
      if (next.outcome === 'open') return next;
      next.socket.terminate();
      return undefined;
    }, 'a slot after the close');
    first.close();
    fourth.socket.terminate();
    fifth.socket.terminate();
  });

  describe('transient copies', () => {
    let sender: TestDevice;
    let receiver: TestDevice;

    beforeAll(async () => {
      sender = await accountWithDevice(relay.http, 'typing_sender', { oneTimePreKeys: 0 });
      receiver = await accountWithDevice(relay.http, 'typing_receiver', { oneTimePreKeys: 0 });
    });

    function typing(size: number): Record<string, unknown> {
      return {
        t: 'send',
        id: uniqueMessageId(),
        to: [
          {
            user: receiver.account.userId,
            devices: [{ device: receiver.deviceId, body: new Uint8Array(size).fill(1) }],
          },
        ],
        transient: true,
      };
    }

    it('refuses a transient body over the cap (the schema both ends share)', async () => {
      const a = await WsTestClient.connect(relay.wsUrl, sender);
      await a.waitFor('drained');
      a.sendBytes(encodeCbor(typing(TRANSIENT_BODY_MAX_BYTES + 1)));
      const [error] = await a.waitFor('error');
      expect(error).toMatchObject({ code: 'FRAME_INVALID' });
      a.sendBytes(encodeCbor(typing(TRANSIENT_BODY_MAX_BYTES)));
      await a.waitFor('stored');
      a.close();
    });

    it('hands one recipient at most its budget of transient copies per window', async () => {
      const b = await WsTestClient.connect(relay.wsUrl, receiver);
      await b.waitFor('drained');
      const before = b.of('deliver').length;
      const a = await WsTestClient.connect(relay.wsUrl, sender);
      await a.waitFor('drained');
      for (let i = 0; i < 30; i++) a.sendBytes(encodeCbor(typing(64)));
      await a.waitFor('stored', 30);
      // Copies are written to b's socket before the sender hears `stored`; a
      // ping answered on b's socket comes after all of them.
      b.send({ t: 'ping', n: 1 });
      await b.waitFor('pong');
      expect(b.of('deliver').length - before).toBe(20);
      a.close();
      b.close();
    });
  });

  it('keeps serving with a receiver that stopped reading: transient copies are dropped, not buffered', async () => {
    const local = await RelayProcess.start({
      env: {
        LOG_LEVEL: 'warn',
        RATE_LIMIT_FRAMES_PER_DEVICE: '100000/1',
        RATE_LIMIT_COPIES_PER_DEVICE: '10000000/60',
        RATE_LIMIT_TRANSIENT_PER_RECIPIENT: '1000000/1',
      },
    });
    try {
      const victim = await registerAccount(local.http, 'stalled');
      const device = await createDevice(victim, { oneTimePreKeys: 0 });
      await registerDevice(local.http, device);
      const flooder = await accountWithDevice(local.http, 'flooder', { oneTimePreKeys: 0 });
      const b = await WsTestClient.connect(local.wsUrl, device);
      await b.waitFor('drained');
      b.pauseReading();
      const a = await WsTestClient.connect(local.wsUrl, flooder);
      await a.waitFor('drained');
      const body = new Uint8Array(TRANSIENT_BODY_MAX_BYTES).fill(3);
      const frame = (): Uint8Array =>
        encodeCbor({
          t: 'send',
          id: uniqueMessageId(),
          to: [{ user: victim.userId, devices: [{ device: device.deviceId, body }] }],
          transient: true,
        });
      // 16 MiB of typing copies for a socket that reads nothing.
      for (let i = 0; i < 8192; i++) {
        a.sendBytes(frame());
        if (i % 512 === 511) await a.waitFor('stored', i + 1, 30_000);
      }
      await a.waitFor('stored', 8192, 30_000);
      const metrics = await (await local.http('/metrics')).text();
      const dropped = /parley_transient_dropped_total\{reason="behind"\} (\d+)/.exec(metrics);
      expect(Number(dropped?.[1] ?? 0)).toBeGreaterThan(1000);
      expect((await local.http('/healthz')).ok).toBe(true);
      a.close();
      b.terminate();
    } finally {
      await local.dispose();
    }
  });
});
