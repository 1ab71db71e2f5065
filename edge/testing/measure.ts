/**
 * A quick single-pair measurement against a real relay process (not a test,
 * not the issue-7 benchmark): N messages from one device to another, each
 * persisted before `stored`; reports msgs/s and send→deliver latency.
 *   npx tsx edge/testing/measure.ts [messages] [window]
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { accountWithDevice } from './client.ts';
import { RelayProcess } from './relay-process.ts';
import { WsTestClient } from './ws-client.ts';

const total = Number(process.argv[2] ?? 2000);
const window = Number(process.argv[3] ?? 50);
const relay = await RelayProcess.start({
  denoFlags: process.env.DENO_FLAGS?.split(' ').filter((f) => f !== '') ?? [],
  env: {
    RATE_LIMIT_FRAMES_PER_DEVICE: '100000/1',
    RATE_LIMIT_COPIES_PER_DEVICE: '1000000/60',
    LOG_LEVEL: 'warn',
    ...(process.env.SQLITE_SYNCHRONOUS === undefined
      ? {}
      : { SQLITE_SYNCHRONOUS: process.env.SQLITE_SYNCHRONOUS }),
  },
});
try {
  const alice = await accountWithDevice(relay.http, 'alice', { oneTimePreKeys: 0 });
  const bob = await accountWithDevice(relay.http, 'bob', { oneTimePreKeys: 0 });
  const a = await WsTestClient.connect(relay.wsUrl, alice);
  const b = await WsTestClient.connect(relay.wsUrl, bob);
  await b.waitFor('drained');
  /** CPU ms (user + system) the relay process has used so far. */
  const relayCpuMs = () => {
    const fields = readFileSync(`/proc/${relay.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  };
  const cpuBefore = relayCpuMs();
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  const start = performance.now();
  const body = new Uint8Array(300).fill(0x42);
  let sent = 0;
  let stored = 0;
  let seenA = 0;
  let seenB = 0;
  let unacked: number[] = [];
  // Scans only frames that arrived since the last pass (the test client keeps them all).
  while (latencies.length < total) {
    for (; seenA < a.received.length; seenA++) if (a.received[seenA]?.t === 'stored') stored++;
    for (; seenB < b.received.length; seenB++) {
      const d = b.received[seenB];
      if (d?.t !== 'deliver') continue;
      latencies.push(
        performance.now() -
          (sentAt.get(new DataView(d.id.buffer, d.id.byteOffset).getUint32(0)) ?? 0),
      );
      unacked.push(d.qid ?? 0);
    }
    if (unacked.length >= 100 || (latencies.length === total && unacked.length > 0)) {
      b.send({ t: 'ack', qids: unacked });
      unacked = [];
    }
    while (sent < total && sent - stored < window) {
      const id = new Uint8Array(16);
      new DataView(id.buffer).setUint32(0, sent);
      sentAt.set(sent, performance.now());
      a.send({
        t: 'send',
        id,
        to: [{ user: bob.account.userId, devices: [{ device: bob.deviceId, body }] }],
      });
      sent++;
    }
    await new Promise((r) => setImmediate(r));
  }
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((x, y) => x - y);
  const q = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]?.toFixed(2);
  const relayCpuUsPerMsg = Math.round(((relayCpuMs() - cpuBefore) * 1000) / total);
  console.log(
    JSON.stringify({
      messages: total,
      window,
      msgsPerS: Math.round(total / seconds),
      relayCpuUsPerMsg,
      p50Ms: q(0.5),
      p95Ms: q(0.95),
      p99Ms: q(0.99),
    }),
  );
  a.close();
  b.close();
} finally {
  await relay.dispose();
}
