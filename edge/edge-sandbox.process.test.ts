/**
 * The production topology with an edge isolate's permissions: two relay
 * instances, each started with `--deny-ffi --deny-write --deny-sys` and
 * network access only to its own port, the database (the Hrana test server in
 * front of a real SQLite file, with a 5 ms round trip) and Upstash (the REST
 * test endpoint in front of a real redis-server). A chat crosses instances
 * both ways, in order, and survives an instance being killed.
 *
 * Before the remote path used the web client, the relay imported the native
 * libSQL driver at start and died under --deny-ffi; the last test keeps the
 * sandbox honest by showing that a file database indeed cannot start in it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../shared/bytes.ts';
import type { SendFrame } from '../shared/wire/frames.ts';
import { accountWithDevice, type TestDevice, uniqueMessageId } from './testing/client.ts';
import { type RedisServer, startRedisServer } from './testing/redis-server.ts';
import { RelayProcess } from './testing/relay-process.ts';
import { startTestDatabase, type TestDatabase } from './testing/test-database.ts';
import { startUpstashRestServer, type UpstashRestServer } from './testing/upstash-rest-server.ts';
import { WsTestClient } from './testing/ws-client.ts';

function text(to: TestDevice, body: string): SendFrame {
  return {
    t: 'send',
    id: uniqueMessageId(),
    to: [{ user: to.account.userId, devices: [{ device: to.deviceId, body: Buffer.from(body) }] }],
  };
}

const bodies = (client: WsTestClient) =>
  client.of('deliver').map((d) => Buffer.from(d.body).toString());

describe('edge sandbox: two relays on Hrana + Upstash with --deny-ffi, no writes, narrow network', () => {
  let database: TestDatabase;
  let redis: RedisServer;
  let upstash: UpstashRestServer;
  const relays: RelayProcess[] = [];
  let env: Record<string, string>;
  let allowNet: string[];

  beforeAll(async () => {
    database = await startTestDatabase('hrana', { delayMs: 5 });
    redis = await startRedisServer();
    upstash = await startUpstashRestServer(redis.url);
    allowNet = [database.endpoint ?? '', new URL(upstash.url).host];
    env = {
      UPSTASH_REDIS_REST_URL: upstash.url,
      UPSTASH_REDIS_REST_TOKEN: upstash.token,
      TOKEN_SECRET: 'a shared secret of at least 32 bytes, same on every instance',
      FANOUT_POLL_SECONDS: '3600',
    };
    for (const id of ['edge-a', 'edge-b']) {
      relays.push(
        await RelayProcess.start({
          libsqlUrl: database.relayOptions.libsqlUrl ?? '',
          edgeSandbox: { allowNet },
          env: { ...env, INSTANCE_ID: id },
        }),
      );
    }
  }, 60_000);

  afterAll(async () => {
    for (const r of relays) await r.dispose();
    await upstash?.close();
    await redis?.stop();
    await database?.dispose();
  });

  it('starts on the remote database and Upstash and carries a chat across instances both ways', async () => {
    const [a, b] = relays as [RelayProcess, RelayProcess];
    for (const r of relays) {
      const listening = r.output.find((l) => l.includes('relay.listening')) ?? '';
      expect(listening).toContain('"database":"remote"');
      expect(listening).toContain('"fanout":"upstash"');
    }
    const alice = await accountWithDevice(a.http, 'alice');
    const bob = await accountWithDevice(b.http, 'bob');
    const onA = await WsTestClient.connect(a.wsUrl, alice);
    const onB = await WsTestClient.connect(b.wsUrl, bob);
    await onB.waitFor('drained');
    for (let i = 0; i < 5; i++) onA.send(text(bob, `a->b ${i}`));
    await onA.waitFor('stored', 5);
    await onB.waitFor('deliver', 5);
    expect(bodies(onB)).toEqual([0, 1, 2, 3, 4].map((i) => `a->b ${i}`));
    onB.send(text(alice, 'b->a reply'));
    await onA.waitFor('deliver');
    expect(bodies(onA)).toEqual(['b->a reply']);
    onB.send({ t: 'ack', qids: onB.of('deliver').map((d) => d.qid ?? 0) });
    onA.send({ t: 'ack', qids: onA.of('deliver').map((d) => d.qid ?? 0) });
    onA.send({ t: 'ping', n: 1 });
    onB.send({ t: 'ping', n: 1 });
    await onA.waitFor('pong');
    await onB.waitFor('pong');
    expect(await (await a.http('/metrics')).text()).toMatch(/parley_queue_depth 0/);
    onA.close();
    onB.close();
  });

  it('loses nothing when one instance is killed and its client reconnects to the other', async () => {
    const [a, b] = relays as [RelayProcess, RelayProcess];
    const carol = await accountWithDevice(a.http, 'carol');
    const dave = await accountWithDevice(a.http, 'dave');
    const sender = await WsTestClient.connect(b.wsUrl, carol);
    const frames = Array.from({ length: 10 }, (_, i) => text(dave, `kill test ${i}`));
    for (const f of frames) sender.send(f);
    await sender.waitFor('stored', 10);
    await a.kill9();
    const receiver = await WsTestClient.connect(b.wsUrl, dave);
    await receiver.waitFor('drained');
    expect(bodies(receiver)).toEqual(frames.map((_, i) => `kill test ${i}`));
    expect(new Set(receiver.of('deliver').map((d) => toHex(d.id))).size).toBe(10);
    sender.close();
    receiver.close();
    await a.restart();
    expect((await a.http('/healthz')).status).toBe(200);
  });

  it('is a real sandbox: a file database cannot start in it', async () => {
    await expect(
      RelayProcess.start({ edgeSandbox: { allowNet }, env, startTimeoutMs: 20_000 }),
    ).rejects.toThrow(/relay exited during start[\s\S]*(write access|--allow-ffi)/);
  });
});
