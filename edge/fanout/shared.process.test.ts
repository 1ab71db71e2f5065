/**
 * Cross-instance fan-out with real processes: a real redis-server, two Deno
 * relay instances on different ports over ONE libSQL file, and real
 * WebSocket clients. Run once through Redis over TCP (REDIS_URL) and once
 * through the Upstash REST path (UPSTASH_REDIS_REST_*), the latter against
 * the local Upstash-protocol endpoint in edge/testing/upstash-rest-server.ts
 * (test infrastructure in front of the same redis-server).
 *
 * The periodic poll is set to an hour, so every live delivery here travelled
 * through the fan-out, not through a poll.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bytes, toHex } from '../../shared/bytes.ts';
import { sleep, waitUntil } from '../../shared/testing/wait.ts';
import type { ServerFrameOf } from '../../shared/wire/frames.ts';
import {
  accountWithDevice,
  createDevice,
  registerDevice,
  type TestDevice,
  uniqueMessageId,
} from '../testing/client.ts';
import { type RedisServer, startRedisServer } from '../testing/redis-server.ts';
import { RelayProcess } from '../testing/relay-process.ts';
import { startUpstashRestServer, type UpstashRestServer } from '../testing/upstash-rest-server.ts';
import { WsTestClient } from '../testing/ws-client.ts';

function send(from: WsTestClient, to: TestDevice, id: Bytes, text: string): void {
  from.send({
    t: 'send',
    id,
    to: [{ user: to.account.userId, devices: [{ device: to.deviceId, body: Buffer.from(text) }] }],
  });
}

/**
 * A recipient as a real client behaves: acks every stored delivery, dedupes
 * by (sender, id) across reconnects, and records the order of first receipt.
 */
class Recipient {
  readonly firstSeen: string[] = [];
  readonly #seen = new Set<string>();
  /** Deliveries that repeated a qid on the same socket (must stay empty). */
  readonly repeatsOnOneSocket: number[] = [];
  #client: WsTestClient | undefined;
  #scanned = 0;
  #qidsThisSocket = new Set<number>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(readonly device: TestDevice) {}

  async connect(url: string): Promise<void> {
    this.#client = await WsTestClient.connect(url, this.device);
    this.#scanned = 0;
    this.#qidsThisSocket = new Set();
    clearInterval(this.#timer);
    this.#timer = setInterval(() => this.#scan(), 10);
  }

  get client(): WsTestClient {
    if (this.#client === undefined) throw new Error('not connected');
    return this.#client;
  }

  #scan(): void {
    const client = this.#client;
    if (client === undefined) return;
    const qids: number[] = [];
    for (; this.#scanned < client.received.length; this.#scanned++) {
      const frame = client.received[this.#scanned];
      if (frame?.t !== 'deliver') continue;
      const d = frame as ServerFrameOf<'deliver'>;
      if (d.qid !== undefined) {
        if (this.#qidsThisSocket.has(d.qid)) this.repeatsOnOneSocket.push(d.qid);
        this.#qidsThisSocket.add(d.qid);
        qids.push(d.qid);
      }
      const key = `${d.from}/${d.fromDevice}/${toHex(d.id)}`;
      if (!this.#seen.has(key)) {
        this.#seen.add(key);
        this.firstSeen.push(Buffer.from(d.body).toString());
      }
    }
    if (qids.length > 0) {
      try {
        client.send({ t: 'ack', qids });
      } catch {
        // The socket died; the relay redelivers what it did not see acked.
      }
    }
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#client?.close();
  }
}

type Mode = 'redis' | 'upstash';

describe.each<Mode>(['redis', 'upstash'])('fan-out across two relay instances (%s)', (mode) => {
  let redis: RedisServer;
  let upstash: UpstashRestServer | undefined;
  let a: RelayProcess;
  let b: RelayProcess;
  const open: (WsTestClient | Recipient)[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    const shared =
      mode === 'redis'
        ? { REDIS_URL: redis.url }
        : await (async () => {
            upstash = await startUpstashRestServer(redis.url);
            return { UPSTASH_REDIS_REST_URL: upstash.url, UPSTASH_REDIS_REST_TOKEN: upstash.token };
          })();
    const env = {
      ...shared,
      TOKEN_SECRET: 'fan-out test secret shared by both instances',
      FANOUT_POLL_SECONDS: '3600',
      RATE_LIMIT_HTTP_PER_IP: '10000/60',
      RATE_LIMIT_FRAMES_PER_DEVICE: '10000/1',
    };
    a = await RelayProcess.start({ env: { ...env, INSTANCE_ID: 'instance-a' } });
    b = await RelayProcess.start({
      env: { ...env, INSTANCE_ID: 'instance-b' },
      dbPath: a.dbPath,
    });
  });

  afterAll(async () => {
    for (const c of open) c instanceof Recipient ? c.stop() : c.close();
    await b?.dispose();
    await a?.dispose();
    await upstash?.close();
    await redis?.stop();
  });

  it(`announces the ${mode} fan-out and delivers live across instances, in order, both ways`, async () => {
    expect(a.output.some((l) => l.includes(`"fanout":"${mode}"`))).toBe(true);
    const alice = await accountWithDevice(a.http, `alice${mode}`);
    const bob = await accountWithDevice(b.http, `bob${mode}`);
    const onA = new Recipient(alice);
    const onB = new Recipient(bob);
    open.push(onA, onB);
    await onA.connect(a.wsUrl);
    await onB.connect(b.wsUrl);
    await onA.client.waitFor('drained');
    await onB.client.waitFor('drained');
    const texts = Array.from({ length: 40 }, (_, i) => `a->b ${i}`);
    for (const t of texts) send(onA.client, bob, uniqueMessageId(), t);
    const back = Array.from({ length: 40 }, (_, i) => `b->a ${i}`);
    for (const t of back) send(onB.client, alice, uniqueMessageId(), t);
    await onA.client.waitFor('stored', 40);
    await onB.client.waitFor('stored', 40);
    await waitUntil(() => onB.firstSeen.length === 40 && onA.firstSeen.length === 40, 15_000);
    expect(onB.firstSeen).toEqual(texts);
    expect(onA.firstSeen).toEqual(back);
    // Live, not backlog: everything arrived after `drained`.
    const afterDrained = (c: WsTestClient) =>
      c.received
        .slice(c.received.findIndex((f) => f.t === 'drained'))
        .filter((f) => f.t === 'deliver').length;
    expect(afterDrained(onB.client)).toBe(40);
    expect(afterDrained(onA.client)).toBe(40);
    expect([...onA.repeatsOnOneSocket, ...onB.repeatsOnOneSocket]).toEqual([]);
  });

  it('tells the other instance when a device list changes, so a stale list is refused', async () => {
    const carol = await accountWithDevice(a.http, `carol${mode}`);
    const dave = await accountWithDevice(b.http, `dave${mode}`);
    const sender = await WsTestClient.connect(a.wsUrl, carol);
    open.push(sender);
    send(sender, dave, uniqueMessageId(), 'warms the cache on instance a');
    await sender.waitFor('stored');
    // Dave adds a device through instance b; instance a must hear of it.
    const second = await createDevice(dave.account);
    await registerDevice(b.http, second);
    let mismatch: ServerFrameOf<'mismatch'> | undefined;
    const deadline = Date.now() + 5000; // well under the cache's 10 s lifetime
    while (mismatch === undefined && Date.now() < deadline) {
      const id = uniqueMessageId();
      send(sender, dave, id, 'addressed to the old list');
      await waitUntil(
        () =>
          sender.received.some(
            (f) => (f.t === 'stored' || f.t === 'mismatch') && toHex(f.id) === toHex(id),
          ),
        15_000,
      );
      mismatch = sender.of('mismatch').find((m) => toHex(m.id) === toHex(id));
      if (mismatch === undefined) await sleep(100);
    }
    expect(mismatch?.users).toEqual([
      { user: dave.account.userId, missing: [second.deviceId], extra: [], stale: [] },
    ]);
  });

  it('loses and duplicates nothing when an instance is killed and its clients reconnect to the other', async () => {
    const senderOnB = await accountWithDevice(b.http, `erin${mode}`);
    const senderOnA = await accountWithDevice(a.http, `frank${mode}`);
    const recipientsOnA = await Promise.all(
      [1, 2, 3].map((i) => accountWithDevice(a.http, `grace${i}${mode}`)),
    );
    const recipientOnB = await accountWithDevice(b.http, `heidi${mode}`);
    const recipients = recipientsOnA.map((d) => new Recipient(d));
    const heidi = new Recipient(recipientOnB);
    open.push(...recipients, heidi);
    for (const r of recipients) await r.connect(a.wsUrl);
    await heidi.connect(b.wsUrl);
    const fromB = await WsTestClient.connect(b.wsUrl, senderOnB);
    let fromA = await WsTestClient.connect(a.wsUrl, senderOnA);
    open.push(fromB);

    const total = 60;
    const toRecipients = Array.from({ length: total }, (_, i) => ({
      id: uniqueMessageId(),
      text: `b ${i}`,
    }));
    const toHeidi = Array.from({ length: total }, (_, i) => ({
      id: uniqueMessageId(),
      text: `a ${i}`,
    }));
    let killed = false;
    for (let i = 0; i < total; i++) {
      const m = toRecipients[i];
      const h = toHeidi[i];
      if (m === undefined || h === undefined) break;
      for (const r of recipientsOnA) send(fromB, r, m.id, `${m.text}`);
      if (!killed) send(fromA, recipientOnB, h.id, h.text);
      if (i === total / 2) {
        // Instance a dies mid-stream, with deliveries and sends in flight.
        await a.kill9();
        killed = true;
        await Promise.all(recipients.map((r) => r.client.waitClosed()));
        await fromA.waitClosed();
        for (const r of recipients) await r.connect(b.wsUrl);
        // The sender's outbox resends everything it has no `stored` for, with the same ids.
        const storedIds = new Set(fromA.of('stored').map((s) => toHex(s.id)));
        fromA = await WsTestClient.connect(b.wsUrl, senderOnA);
        open.push(fromA);
        for (const p of toHeidi.slice(0, i + 1))
          if (!storedIds.has(toHex(p.id))) send(fromA, recipientOnB, p.id, p.text);
      } else if (killed) {
        send(fromA, recipientOnB, h.id, h.text);
      }
      await sleep(5);
    }
    await fromB.waitFor('stored', total * recipientsOnA.length);
    await waitUntil(
      () => recipients.every((r) => r.firstSeen.length >= total) && heidi.firstSeen.length >= total,
      20_000,
    );
    await sleep(300); // anything extra would show up now
    const expected = toRecipients.map((m) => m.text);
    for (const r of recipients) {
      expect(r.firstSeen).toEqual(expected); // every message, once, in send order
      expect(r.repeatsOnOneSocket).toEqual([]);
    }
    expect(heidi.firstSeen).toEqual(toHeidi.map((m) => m.text));
    expect(heidi.repeatsOnOneSocket).toEqual([]);
    // Everything was acknowledged: nothing is left queued for any of them.
    for (const r of [...recipients, heidi]) {
      r.stop();
      let queued = -1;
      await waitUntil(
        async () => {
          const probe = await WsTestClient.connect(b.wsUrl, r.device);
          queued = probe.of('ready')[0]?.queued ?? -1;
          probe.close();
          return queued === 0;
        },
        10_000,
        100,
      );
      expect(queued).toBe(0);
    }
    expect(b.output.some((l) => l.includes('fanout.listener_failed'))).toBe(false);
  });
});
