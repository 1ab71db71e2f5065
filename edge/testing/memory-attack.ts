/**
 * Peak relay memory under the issue-11 memory attacks (items 1 and 2),
 * against a real relay process on 127.0.0.1. Bounded in count and time; not
 * a test. Prints one JSON line per scenario with the relay's RSS at start and
 * its peak (sampled from /proc every 20 ms).
 *   npx tsx edge/testing/memory-attack.ts [ws|http|transient ...]
 *
 *   ws         8 unauthenticated sockets, each sending up to 3 messages of 60 MiB
 *   http       one chunked 400 MiB POST to /v1/auth/login/verify
 *   transient  one device sends 64 KiB (or the largest accepted) transient frames
 *              for 15 s to 4 devices of another account that stopped reading
 */

import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import WebSocket from 'ws';
import { accountWithDevice, createDevice, registerAccount, registerDevice } from './client.ts';
import { RelayProcess } from './relay-process.ts';
import { WsTestClient } from './ws-client.ts';

const MiB = 1024 * 1024;

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Math.round(Number(line?.split(/\s+/)[1] ?? 0) / 1024);
}

function sampler(pid: number): { readonly start: number; stop(): number } {
  const start = rssMiB(pid);
  let peak = start;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssMiB(pid));
    } catch {
      // process gone
    }
  }, 20);
  return {
    start,
    stop() {
      clearInterval(timer);
      try {
        peak = Math.max(peak, rssMiB(pid));
      } catch {
        // process gone
      }
      return peak;
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function healthy(relay: RelayProcess): Promise<boolean> {
  try {
    return (await relay.http('/healthz')).ok;
  } catch {
    return false;
  }
}

async function wsScenario(relay: RelayProcess, pid: number): Promise<Record<string, unknown>> {
  const big = Buffer.alloc(60 * MiB, 0x41);
  const s = sampler(pid);
  const closes: (number | string)[] = [];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      const socket = new WebSocket(relay.wsUrl);
      const closed = new Promise<void>((resolve) => {
        socket.on('close', (code) => {
          closes.push(code);
          resolve();
        });
        socket.on('error', () => {});
        socket.on('unexpected-response', (_req, res) => {
          closes.push(`http ${res.statusCode}`);
          resolve();
        });
      });
      await new Promise<void>((resolve) => {
        socket.once('open', () => resolve());
        void closed.then(resolve);
      });
      for (let i = 0; i < 3 && socket.readyState === WebSocket.OPEN; i++) {
        await new Promise<void>((resolve) => socket.send(big, () => resolve()));
        await sleep(200);
      }
      await Promise.race([closed, sleep(3000)]);
      socket.terminate();
    }),
  );
  await sleep(500);
  const peak = s.stop();
  return {
    scenario: 'ws',
    startMiB: s.start,
    peakMiB: peak,
    closes,
    healthy: await healthy(relay),
  };
}

async function httpScenario(relay: RelayProcess, pid: number): Promise<Record<string, unknown>> {
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  const total = 400 * MiB;
  const s = sampler(pid);
  let written = 0;
  let status: number | string = 'none';
  await new Promise<void>((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: relay.port,
        method: 'POST',
        path: '/v1/auth/login/verify',
        headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      },
      (res) => {
        status = res.statusCode ?? 'none';
        res.resume();
        req.destroy();
        resolve();
      },
    );
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    const pump = () => {
      while (written < total) {
        written += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
  await sleep(500);
  const peak = s.stop();
  return {
    scenario: 'http',
    startMiB: s.start,
    peakMiB: peak,
    status,
    sentMiB: Math.round(written / MiB),
    healthy: await healthy(relay),
  };
}

async function transientScenario(
  relay: RelayProcess,
  pid: number,
): Promise<Record<string, unknown>> {
  const sender = await accountWithDevice(relay.http, `mem_a_${Date.now() % 100000}`, {
    oneTimePreKeys: 0,
  });
  const victim = await registerAccount(relay.http, `mem_b_${Date.now() % 100000}`);
  const devices = [];
  for (let i = 0; i < 4; i++) {
    const d = await createDevice(victim, { oneTimePreKeys: 0 });
    await registerDevice(relay.http, d);
    devices.push(d);
  }
  const receivers = [];
  for (const d of devices) {
    const r = await WsTestClient.connect(relay.wsUrl, d);
    await r.waitFor('drained');
    r.pauseReading();
    receivers.push(r);
  }
  const a = await WsTestClient.connect(relay.wsUrl, sender);
  await a.waitFor('drained');
  const to = [{ user: victim.userId, devices: devices.map((d) => ({ device: d.deviceId })) }];
  let bodyBytes = 64 * 1024;
  const refusals: string[] = [];
  const probe = async (size: number): Promise<boolean> => {
    const before = a.received.length;
    try {
      a.send({
        t: 'send',
        id: crypto.getRandomValues(new Uint8Array(16)),
        to,
        body: new Uint8Array(size),
        transient: true,
      });
    } catch (error) {
      // The shared frame schema refuses it before it leaves: so would the relay.
      refusals.push(`${size}: ${(error as { code?: string }).code ?? 'encode'}`);
      return false;
    }
    for (let i = 0; i < 200 && a.received.length === before; i++) await sleep(5);
    const answer = a.received[before];
    if (answer?.t === 'error') refusals.push(`${size}: ${answer.code}`);
    return answer?.t === 'stored';
  };
  while (bodyBytes > 256 && !(await probe(bodyBytes))) bodyBytes /= 2;
  const body = new Uint8Array(bodyBytes).fill(7);
  const s = sampler(pid);
  const end = Date.now() + 15_000;
  let sent = 0;
  // 90 frames a second: just under the default per-device frame limit (100/s).
  while (Date.now() < end && a.state === 'open') {
    for (let i = 0; i < 9; i++) {
      a.send({
        t: 'send',
        id: crypto.getRandomValues(new Uint8Array(16)),
        to,
        body,
        transient: true,
      });
      sent++;
    }
    await sleep(100);
  }
  const peak = s.stop();
  const closes = await Promise.all(
    receivers.map((r) => Promise.race([r.closed.then((c) => c.code), sleep(0).then(() => 'open')])),
  );
  for (const r of receivers) r.terminate();
  a.close();
  await sleep(500);
  return {
    scenario: 'transient',
    bodyBytes,
    refusals,
    framesSent: sent,
    startMiB: s.start,
    peakMiB: peak,
    receivers: closes,
    healthy: await healthy(relay),
  };
}

const scenarios =
  process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['ws', 'http', 'transient'];
for (const name of scenarios) {
  // RELAY_ENV='{"WS_PREAUTH_SOCKETS_PER_IP":"8"}' runs a scenario under other limits.
  const extra = JSON.parse(process.env.RELAY_ENV ?? '{}') as Record<string, string>;
  const relay = await RelayProcess.start({ env: { LOG_LEVEL: 'warn', ...extra } });
  try {
    const pid = relay.pid;
    if (pid === undefined) throw new Error('no relay pid');
    await sleep(1000);
    const result =
      name === 'ws'
        ? await wsScenario(relay, pid)
        : name === 'http'
          ? await httpScenario(relay, pid)
          : await transientScenario(relay, pid);
    console.log(JSON.stringify(result));
  } finally {
    await relay.dispose();
  }
}
