/**
 * The send path's limits with the buckets in a shared store, against the REAL
 * relay: a Deno process whose limits live in the Upstash REST endpoint in
 * front of a real redis-server (edge/testing/). A send charges its frame and
 * copy tokens in one store command and its per-pair and byte tokens in
 * another (redis.ts TOKEN_BUCKETS); each limit must still refuse exactly at
 * its configured size, and a refusal must leave the later charges untaken.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SendFrame } from '../../shared/wire/frames.ts';
import { accountWithDevice, type TestDevice, uniqueMessageId } from '../testing/client.ts';
import { type RedisServer, startRedisServer } from '../testing/redis-server.ts';
import { RelayProcess } from '../testing/relay-process.ts';
import { startUpstashRestServer, type UpstashRestServer } from '../testing/upstash-rest-server.ts';
import { WsTestClient } from '../testing/ws-client.ts';

let redis: RedisServer;
let upstash: UpstashRestServer;
const running: RelayProcess[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  upstash = await startUpstashRestServer(redis.url);
});
afterAll(async () => {
  await upstash.close();
  await redis.stop();
});
afterEach(async () => {
  for (const relay of running.splice(0)) await relay.dispose();
});

/** Limits not under test are out of the way; windows of an hour refill nothing meanwhile. */
async function start(limits: Record<string, string>): Promise<RelayProcess> {
  const relay = await RelayProcess.start({
    env: {
      UPSTASH_REDIS_REST_URL: upstash.url,
      UPSTASH_REDIS_REST_TOKEN: upstash.token,
      TOKEN_SECRET: 'a shared secret of at least 32 bytes, same on every instance',
      INSTANCE_ID: `limits-${running.length}-${Date.now()}`,
      RATE_LIMIT_FRAMES_PER_DEVICE: '1000/3600',
      RATE_LIMIT_COPIES_PER_DEVICE: '1000/3600',
      RATE_LIMIT_SENDS_PER_RECIPIENT: '1000/3600',
      RATE_LIMIT_SEND_BYTES_PER_DEVICE: '10000000/3600',
      ...limits,
    },
  });
  running.push(relay);
  expect(relay.output.join('\n')).not.toContain('limits.store_unavailable');
  return relay;
}

function sendTo(to: readonly TestDevice[], bytes = 10): SendFrame {
  return {
    t: 'send',
    id: uniqueMessageId(),
    to: to.map((d) => ({
      user: d.account.userId,
      devices: [{ device: d.deviceId, body: new Uint8Array(bytes) }],
    })),
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
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no answer to a send within 5 s');
}

/** A ping's answer: 'pong' or the error code. */
async function ping(socket: WsTestClient, n: number): Promise<string> {
  const seen = socket.received.length;
  socket.send({ t: 'ping', n });
  for (let i = 0; i < 500; i++) {
    for (const f of socket.received.slice(seen)) {
      if (f.t === 'pong') return 'pong';
      if (f.t === 'error') return f.code;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no answer to a ping within 5 s');
}

async function answers(socket: WsTestClient, frames: readonly SendFrame[]): Promise<string[]> {
  const out: string[] = [];
  for (const frame of frames) out.push(await answer(socket, frame));
  return out;
}

describe('relay process: send limits in a shared store (Upstash REST over redis-server)', () => {
  it('frames per device: refuses the frame past the limit, whether a send or a ping', async () => {
    const relay = await start({ RATE_LIMIT_FRAMES_PER_DEVICE: '4/3600' });
    const alice = await accountWithDevice(relay.http, 'alice');
    const bob = await accountWithDevice(relay.http, 'bob');
    const a = await WsTestClient.connect(relay.wsUrl, alice);
    expect(await answers(a, [sendTo([bob]), sendTo([bob]), sendTo([bob])])).toEqual([
      'stored',
      'stored',
      'stored',
    ]);
    // Sends and other frames share one bucket: the fourth frame is the last.
    expect(await ping(a, 1)).toBe('pong');
    expect(await ping(a, 2)).toBe('RATE_LIMITED');
    expect(await answer(a, sendTo([bob]))).toBe('RATE_LIMITED');
    a.close();
  });

  it('copies per device: refuses past the limit, and the refused send still spent its frame', async () => {
    const relay = await start({
      RATE_LIMIT_COPIES_PER_DEVICE: '5/3600',
      RATE_LIMIT_FRAMES_PER_DEVICE: '8/3600',
    });
    const alice = await accountWithDevice(relay.http, 'alice');
    const bob = await accountWithDevice(relay.http, 'bob');
    const carol = await accountWithDevice(relay.http, 'carol');
    const a = await WsTestClient.connect(relay.wsUrl, alice);
    // 2 + 2 copies, then 2 more would make 6 > 5; 1 more makes exactly 5.
    expect(
      await answers(a, [sendTo([bob, carol]), sendTo([bob, carol]), sendTo([bob, carol])]),
    ).toEqual(['stored', 'stored', 'RATE_LIMITED']);
    expect(await answer(a, sendTo([bob]))).toBe('stored');
    expect(await answer(a, sendTo([bob]))).toBe('RATE_LIMITED');
    // Five frames so far (refused ones included), so three more, then refused.
    expect([await ping(a, 1), await ping(a, 2), await ping(a, 3), await ping(a, 4)]).toEqual([
      'pong',
      'pong',
      'pong',
      'RATE_LIMITED',
    ]);
    a.close();
  });

  it('sends per account pair: refuses the pair past the limit, other pairs and the bytes untouched', async () => {
    const relay = await start({
      RATE_LIMIT_SENDS_PER_RECIPIENT: '3/3600',
      RATE_LIMIT_SEND_BYTES_PER_DEVICE: '50/3600',
    });
    const alice = await accountWithDevice(relay.http, 'alice');
    const bob = await accountWithDevice(relay.http, 'bob');
    const carol = await accountWithDevice(relay.http, 'carol');
    const a = await WsTestClient.connect(relay.wsUrl, alice);
    const toBob = [sendTo([bob]), sendTo([bob]), sendTo([bob]), sendTo([bob])];
    expect(await answers(a, toBob)).toEqual(['stored', 'stored', 'stored', 'RATE_LIMITED']);
    // A group send led by the exhausted pair is refused whole and charges nothing after it:
    // the bytes keep their 20 left (3 x 10 spent), so two sends to carol fit and one more
    // byte does not.
    expect(await answer(a, sendTo([bob, carol]))).toBe('RATE_LIMITED');
    expect(await answers(a, [sendTo([carol]), sendTo([carol])])).toEqual(['stored', 'stored']);
    expect(await answer(a, sendTo([carol], 1))).toBe('RATE_LIMITED');
    a.close();
  });

  it('stored bytes per device: refuses the send that would pass the limit, and accepts exactly up to it', async () => {
    const relay = await start({ RATE_LIMIT_SEND_BYTES_PER_DEVICE: '1000/3600' });
    const alice = await accountWithDevice(relay.http, 'alice');
    const bob = await accountWithDevice(relay.http, 'bob');
    const a = await WsTestClient.connect(relay.wsUrl, alice);
    expect(await answer(a, sendTo([bob], 600))).toBe('stored');
    expect(await answer(a, sendTo([bob], 401))).toBe('RATE_LIMITED');
    expect(await answer(a, sendTo([bob], 400))).toBe('stored');
    expect(await answer(a, sendTo([bob], 1))).toBe('RATE_LIMITED');
    const limited = a.of('error').filter((e) => e.code === 'RATE_LIMITED');
    expect(limited.every((e) => (e.retryAfterMs ?? 0) > 0)).toBe(true);
    a.close();
  });
});
