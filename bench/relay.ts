/**
 * Relay suite: `npm run bench -- relay` (a benchmark, never a test).
 *
 * N WebSocket clients (default 1000), each an authenticated device, send 1:1
 * messages of 300 opaque bytes: client i to client (i + N/2) mod N. Per
 * system, in one run of this suite:
 *  1. fixed rate: an aggregate RATE msgs/s (default 2000) for WARMUP + MEASURE
 *     seconds; latency percentiles come from the measurement window;
 *  2. max rate: a closed loop, every client keeping WINDOW sends outstanding
 *     (each `stored`/ack releases the next); msgs/s = deliveries per second
 *     in the measurement window.
 * Latency is end to end: the sender's clock at send time travels in the
 * body, and the recipient's load generator subtracts it on receipt. `lost`
 * counts messages of a phase that had not arrived 1.5 s after it ended (late
 * ones, since nothing is dropped on purpose); the server CPU per message is
 * read from /proc over the phase.
 *
 * Systems: parley (the real relay, Deno, persist-before-`stored` in libSQL),
 * socketio (Socket.IO 4 on Node), ws (bare `ws`, the same routing, no
 * persistence), and two-instance runs with Redis: parley2 (REDIS_URL
 * fan-out over one libSQL file) and socketio2 (@socket.io/redis-adapter);
 * parleyRemote is the edge shape: one relay whose database is reached over
 * Hrana (edge/testing/hrana-server.ts, 5 ms added per round trip) and whose
 * fan-out and rate limits live in Upstash (the REST test endpoint), reporting
 * database round trips and Redis commands per message beside the usual keys.
 * Clients of two-instance runs are split evenly, and every message crosses
 * instances (the stress case). Two load-generator processes hold the clients
 * (bench/relay/loadgen.ts); servers and generators share this machine's
 * cores, all traffic stays on 127.0.0.1, and every phase is time-bounded.
 *
 * Then the idle check: IDLE authenticated Parley connections (default
 * 10000), kept alive by pings; the relay's RSS is read after they settle.
 *
 * Devices are seeded into the database directly (bench/relay/seed.ts: real
 * identity, device key and certificate; placeholder prekeys), not through
 * the passkey registration flow, so seeding 10000 devices takes seconds.
 * The relay's rate limits are raised for 127.0.0.1 through its environment
 * (defaults unchanged).
 *
 * Knobs (environment): RELAY_BENCH_CLIENTS (default 1000, up to 10000),
 * RELAY_BENCH_RATE (2000), RELAY_BENCH_SECONDS (measurement window, 10),
 * RELAY_BENCH_IDLE (10000; 0 skips), RELAY_BENCH_SYSTEMS (comma list),
 * RELAY_BENCH_SYNC (NORMAL or FULL for the relay's SQLITE_SYNCHRONOUS),
 * RELAY_BENCH_REMOTE_RTT_MS (parleyRemote's added round trip, 5) and
 * RELAY_BENCH_REMOTE_FANOUT=memory (parleyRemote without Upstash, to split
 * its latency between the database and Upstash).
 *
 * Results: bench/results/relay.json = {parley, socketio, ws, parley2,
 * socketio2, parleyRemote}, each with clients, msgsPerS (max rate), p50Ms/p95Ms/p99Ms
 * (fixed rate), rssMb (peak server RSS, summed over instances), plus the
 * fixedRate and maxRate details; parley also carries the idle check.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { type HranaServer, startHranaServer } from '../edge/testing/hrana-server.ts';
import { type RedisServer, startRedisServer } from '../edge/testing/redis-server.ts';
import { RelayProcess } from '../edge/testing/relay-process.ts';
import {
  startUpstashRestServer,
  type UpstashRestServer,
} from '../edge/testing/upstash-rest-server.ts';
import { round } from './lib/stats.ts';
import type { Suite, SuiteOptions } from './lib/suite.ts';
import type { ClientSpec, Peer, Protocol } from './relay/clients.ts';
import type { RunReport } from './relay/loadgen.ts';
import {
  cpuMs,
  LoadGenerator,
  openFileLimit,
  RssSampler,
  rssMb,
  type ServerProcess,
  startNodeServer,
} from './relay/processes.ts';
import { type SeededDevice, seedDevices } from './relay/seed.ts';

type SystemName =
  | 'parley'
  | 'socketio'
  | 'ws'
  | 'parley2'
  | 'socketio2'
  | 'parleyRemote'
  | 'parleyNodeWs';
/** Both instances of a two-instance run share it: a token from one must verify on the other. */
const BENCH_TOKEN_SECRET = 'bench secret shared by the two relay instances';

const SYSTEMS: readonly SystemName[] = [
  'ws',
  'socketio',
  'parley',
  'socketio2',
  'parley2',
  'parleyRemote',
];

/** parleyRemote: the round trip added between the relay and its database (an edge region to Turso). */
const REMOTE_DB_RTT_MS = envNumberOr('RELAY_BENCH_REMOTE_RTT_MS', 5);

function envNumberOr(name: string, fallback: number): number {
  const raw = process.env[name];
  return raw === undefined || raw === '' || !Number.isFinite(Number(raw)) ? fallback : Number(raw);
}
/** Measurement aids, run only when named in RELAY_BENCH_SYSTEMS. */
const EXTRA_SYSTEMS: readonly SystemName[] = ['parleyNodeWs'];

interface Plan {
  readonly clients: number;
  readonly rate: number;
  readonly warmupMs: number;
  readonly measureMs: number;
  readonly window: number;
  readonly settleMs: number;
  readonly idle: number;
  readonly idleSettleMs: number;
  readonly systems: readonly SystemName[];
  readonly sync: 'NORMAL' | 'FULL';
}

function envNumber(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`${name}: expected an integer ${min}..${max}, got "${raw}"`);
  return n;
}

function planFor(smoke: boolean): Plan {
  const systems = (process.env.RELAY_BENCH_SYSTEMS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s): s is SystemName => [...SYSTEMS, ...EXTRA_SYSTEMS].includes(s as SystemName));
  const sync = process.env.RELAY_BENCH_SYNC === 'FULL' ? 'FULL' : 'NORMAL';
  if (smoke) {
    return {
      clients: 20,
      rate: 100,
      warmupMs: 300,
      measureMs: 700,
      window: 1,
      settleMs: 200,
      idle: 40,
      idleSettleMs: 500,
      systems: systems.length > 0 ? systems : SYSTEMS,
      sync,
    };
  }
  const clients = envNumber('RELAY_BENCH_CLIENTS', 1000, 2, 10_000);
  return {
    clients: clients - (clients % 2),
    rate: envNumber('RELAY_BENCH_RATE', 2000, 1, 1_000_000),
    warmupMs: 3000,
    measureMs: envNumber('RELAY_BENCH_SECONDS', 10, 1, 600) * 1000,
    window: 2,
    settleMs: 1500,
    idle: envNumber('RELAY_BENCH_IDLE', 10_000, 0, 10_000),
    idleSettleMs: 5000,
    systems: systems.length > 0 ? systems : SYSTEMS,
    sync,
  };
}

/** RELAY_BENCH_DENO_FLAGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", for profiling the relay. */
function denoFlags(): string[] {
  return (process.env.RELAY_BENCH_DENO_FLAGS ?? '').split(' ').filter((f) => f !== '');
}

/** Bench-only relay settings: limits raised for one IP opening thousands of sockets. */
function relayEnv(plan: Plan): Record<string, string> {
  return {
    LOG_LEVEL: 'warn',
    SQLITE_SYNCHRONOUS: plan.sync,
    RATE_LIMIT_WS_CONNECT_PER_IP: '10000000/60',
    RATE_LIMIT_HTTP_PER_IP: '10000000/60',
    RATE_LIMIT_FRAMES_PER_DEVICE: '10000000/1',
    RATE_LIMIT_COPIES_PER_DEVICE: '1000000000/60',
    // Throughput runs: one pair of accounts sends far more than any person would.
    RATE_LIMIT_SEND_BYTES_PER_DEVICE: '1000000000000/60',
    RATE_LIMIT_SENDS_PER_RECIPIENT: '1000000000/60',
    QUEUE_MAX_PER_DEVICE: '10000000',
    DB_MAX_MB: '0',
    WS_AUTH_TIMEOUT_SECONDS: '120',
    // Thousands of sockets from one IP authenticate at once here; not an attack.
    WS_PREAUTH_SOCKETS_PER_IP: '100000',
    WS_PREAUTH_SOCKETS_TOTAL: '100000',
  };
}

interface Percentiles {
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

function percentiles(values: number[]): Percentiles {
  if (values.length === 0) return { p50Ms: NaN, p95Ms: NaN, p99Ms: NaN, maxMs: NaN };
  values.sort((a, b) => a - b);
  const at = (q: number) =>
    round(values[Math.min(values.length - 1, Math.floor(q * values.length))] as number);
  return {
    p50Ms: at(0.5),
    p95Ms: at(0.95),
    p99Ms: at(0.99),
    maxMs: round(values.at(-1) as number),
  };
}

interface Deployment {
  readonly protocol: Protocol;
  /** One base URL per instance. */
  readonly urls: readonly string[];
  readonly pids: () => readonly (number | undefined)[];
  readonly persistence: boolean;
  /** Cumulative counters read around each phase (database round trips, Redis commands). */
  readonly counters?: () => Promise<Readonly<Record<string, number>>>;
  stop(): Promise<void>;
}

/** Redis commands processed so far (Upstash bills per command; pipelines count each one). */
async function redisCommands(url: string): Promise<number> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const info = await redis.info('stats');
    return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? Number.NaN);
  } finally {
    redis.disconnect();
  }
}

interface SystemResult {
  readonly [key: string]: unknown;
}

class RelayBench {
  readonly #plan: Plan;
  readonly #log: (line: string) => void;
  readonly #dir = mkdtempSync(join(tmpdir(), 'parley-bench-relay-'));
  readonly #template: string;
  #devices: SeededDevice[] = [];
  #copies = 0;
  #redis: RedisServer | undefined;
  readonly #cleanup: (() => Promise<void>)[] = [];

  constructor(plan: Plan, log: (line: string) => void) {
    this.#plan = plan;
    this.#log = log;
    this.#template = join(this.#dir, 'template.db');
  }

  async seed(): Promise<void> {
    const count = Math.max(this.#plan.clients, this.#plan.idle);
    const started = performance.now();
    this.#devices = await seedDevices(this.#template, count);
    this.#log(
      `seeded ${count} accounts with one device each in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }

  async #redisUrl(): Promise<string> {
    this.#redis ??= await startRedisServer();
    return this.#redis.url;
  }

  /** A copy of the seeded template under a name never used before (no stale -wal/-shm beside it). */
  #freshDatabase(name: string): string {
    const path = join(this.#dir, `${name}-${++this.#copies}.db`);
    copyFileSync(this.#template, path);
    return path;
  }

  async deploy(system: SystemName): Promise<Deployment> {
    const env = relayEnv(this.#plan);
    switch (system) {
      case 'parley': {
        const relay = await RelayProcess.start({
          env,
          dbPath: this.#freshDatabase(system),
          denoFlags: denoFlags(),
        });
        return {
          protocol: 'parley',
          urls: [relay.wsUrl],
          pids: () => [relay.pid],
          persistence: true,
          stop: async () => {
            this.#reportRelayWarnings(system, [relay]);
            await relay.dispose();
          },
        };
      }
      case 'parley2': {
        const redis = await this.#redisUrl();
        const dbPath = this.#freshDatabase(system);
        const one = await RelayProcess.start({
          env: {
            ...env,
            REDIS_URL: redis,
            TOKEN_SECRET: BENCH_TOKEN_SECRET,
            INSTANCE_ID: 'bench-1',
          },
          dbPath,
        });
        const two = await RelayProcess.start({
          env: {
            ...env,
            REDIS_URL: redis,
            TOKEN_SECRET: BENCH_TOKEN_SECRET,
            INSTANCE_ID: 'bench-2',
          },
          dbPath,
        });
        return {
          protocol: 'parley',
          urls: [one.wsUrl, two.wsUrl],
          pids: () => [one.pid, two.pid],
          persistence: true,
          stop: async () => {
            this.#reportRelayWarnings(system, [one, two]);
            await two.dispose();
            await one.dispose();
          },
        };
      }
      case 'parleyRemote': {
        // The production shape: the database over Hrana (the test server over a copy of the
        // seeded file, 5 ms added per round trip), fan-out and rate limits in Upstash (the REST
        // test endpoint in front of redis-server).
        const redis = await this.#redisUrl();
        const hrana: HranaServer = await startHranaServer({
          path: this.#freshDatabase(system),
          delayMs: REMOTE_DB_RTT_MS,
        });
        const upstash: UpstashRestServer = await startUpstashRestServer(redis);
        // RELAY_BENCH_REMOTE_FANOUT=memory isolates the database's share of the latency.
        const withUpstash = process.env.RELAY_BENCH_REMOTE_FANOUT !== 'memory';
        const relay = await RelayProcess.start({
          env: {
            ...env,
            ...(withUpstash
              ? {
                  UPSTASH_REDIS_REST_URL: upstash.url,
                  UPSTASH_REDIS_REST_TOKEN: upstash.token,
                  TOKEN_SECRET: BENCH_TOKEN_SECRET,
                }
              : {}),
            INSTANCE_ID: 'bench-remote',
          },
          libsqlUrl: hrana.url,
          denoFlags: denoFlags(),
        });
        return {
          protocol: 'parley',
          urls: [relay.wsUrl],
          pids: () => [relay.pid],
          persistence: true,
          counters: async () => ({
            dbRoundTrips: hrana.roundTrips,
            dbStatements: hrana.statements,
            // Inside-script calls (TIME, HMGET...) included: an upper bound on billed commands.
            redisCommands: await redisCommands(redis),
            upstashRequests: [...upstash.requests.values()].reduce((a, b) => a + b, 0),
          }),
          stop: async () => {
            this.#reportRelayWarnings(system, [relay]);
            await relay.dispose();
            await upstash.close();
            await hrana.close();
          },
        };
      }
      case 'parleyNodeWs': {
        // The relay's code on Node with `ws` (bench/relay/servers/parley-node-server.ts).
        const { freePort } = await import('../edge/testing/relay-process.ts');
        const port = await freePort();
        const server = await startNodeServer(
          'parley-node-server.ts',
          [String(port), this.#freshDatabase(system)],
          env,
        );
        return {
          protocol: 'parley',
          urls: [`ws://127.0.0.1:${port}/v1/ws`],
          pids: () => [server.pid],
          persistence: true,
          stop: () => server.stop(),
        };
      }
      case 'ws':
      case 'socketio':
      case 'socketio2': {
        const { freePort } = await import('../edge/testing/relay-process.ts');
        const instances = system === 'socketio2' ? 2 : 1;
        const redis = system === 'socketio2' ? [await this.#redisUrl()] : [];
        const servers: ServerProcess[] = [];
        const urls: string[] = [];
        for (let i = 0; i < instances; i++) {
          const port = await freePort();
          servers.push(
            await startNodeServer(system === 'ws' ? 'ws-server.ts' : 'socketio-server.ts', [
              String(port),
              ...redis,
            ]),
          );
          urls.push(`ws://127.0.0.1:${port}`);
        }
        return {
          protocol: system === 'ws' ? 'ws' : 'socketio',
          urls,
          pids: () => servers.map((s) => s.pid),
          persistence: false,
          stop: async () => {
            for (const s of servers) await s.stop();
          },
        };
      }
    }
  }

  /** The relay logs at `warn` in the bench: say what it complained about, by event. */
  #reportRelayWarnings(system: SystemName, relays: readonly RelayProcess[]): void {
    const counts = new Map<string, number>();
    for (const relay of relays) {
      for (const line of relay.output) {
        const match = /"event":"([^"]+)"/.exec(line);
        if (match?.[1] === undefined) continue;
        const seen = counts.get(match[1]) ?? 0;
        if (seen === 0) this.#log(`${system}: relay logged ${line.slice(0, 400)}`);
        counts.set(match[1], seen + 1);
      }
    }
    if (counts.size > 0)
      this.#log(`${system}: relay log events ${JSON.stringify(Object.fromEntries(counts))}`);
  }

  /** Client i: its device, the instance it connects to, and its recipient. */
  #assign(deployment: Deployment, count: number): { specs: ClientSpec[]; peers: Peer[] } {
    const half = count / 2;
    const specs: ClientSpec[] = [];
    const peers: Peer[] = [];
    for (let i = 0; i < count; i++) {
      const device = this.#devices[i] as SeededDevice;
      const instance = deployment.urls.length === 1 ? 0 : i < half ? 0 : 1;
      specs.push({
        userId: device.userId,
        deviceId: device.deviceId,
        seedHex: device.seedHex,
        identitySeedHex: device.identitySeedHex,
        url: deployment.urls[instance] as string,
      });
      const peer = this.#devices[(i + half) % count] as SeededDevice;
      peers.push({ userId: peer.userId, deviceId: peer.deviceId });
    }
    return { specs, peers };
  }

  async #connect(
    deployment: Deployment,
    count: number,
  ): Promise<{ generators: LoadGenerator[]; seconds: number }> {
    const generators = [LoadGenerator.start(), LoadGenerator.start()];
    this.#cleanup.push(async () => {
      for (const g of generators) await g.stop();
    });
    const { specs, peers } = this.#assign(deployment, count);
    const started = performance.now();
    const answers = await Promise.all(
      generators.map((g, k) =>
        g.request<{ connected: number; failed: number }>(
          {
            cmd: 'connect',
            protocol: deployment.protocol,
            clients: specs.filter((_, i) => i % generators.length === k),
            peers: peers.filter((_, i) => i % generators.length === k),
            concurrency: 50,
          },
          180_000,
        ),
      ),
    );
    const failed = answers.reduce((n, a) => n + a.failed, 0);
    if (failed > 0) throw new Error(`${failed} of ${count} clients failed to connect`);
    return { generators, seconds: (performance.now() - started) / 1000 };
  }

  async #phase(
    generators: readonly LoadGenerator[],
    mode: 'fixed' | 'max',
    pids: readonly (number | undefined)[],
    counters?: Deployment['counters'],
  ) {
    const plan = this.#plan;
    const countersBefore = await counters?.();
    const cpuBefore = pids.reduce<number>((s, pid) => s + cpuMs(pid), 0);
    const reports = await Promise.all(
      generators.map((g) =>
        g.request<RunReport>(
          {
            cmd: 'run',
            mode,
            rate: plan.rate / generators.length,
            warmupMs: plan.warmupMs,
            measureMs: plan.measureMs,
            window: plan.window,
            settleMs: plan.settleMs,
          },
          plan.warmupMs + plan.measureMs + 60_000,
        ),
      ),
    );
    const cpu = pids.reduce<number>((s, pid) => s + cpuMs(pid), 0) - cpuBefore;
    const countersAfter = await counters?.();
    const seconds = plan.measureMs / 1000;
    const sum = (key: 'sent' | 'delivered' | 'measuredSent' | 'measuredDelivered' | 'stored') =>
      reports.reduce((n, r) => n + r[key], 0);
    // Over the whole phase (warm-up and settling included), per message delivered in it.
    const perMsg: Record<string, number> = {};
    if (countersBefore !== undefined && countersAfter !== undefined) {
      for (const [key, after] of Object.entries(countersAfter))
        perMsg[`${key}PerMsg`] = round(
          (after - (countersBefore[key] ?? 0)) / Math.max(1, sum('delivered')),
        );
      // Counts per message do not depend on load, so smoke runs (which print no table) log them.
      this.#log(`${mode} phase, per delivered message: ${JSON.stringify(perMsg)}`);
    }
    const latencies = reports.flatMap((r) => r.latencies);
    const closed = reports.reduce((n, r) => n + r.closedUnexpectedly, 0);
    if (closed > 0) this.#log(`warning: ${closed} sockets closed during the ${mode} phase`);
    return {
      sentPerS: round(sum('measuredSent') / seconds),
      deliveredPerS: round(sum('measuredDelivered') / seconds),
      lost: sum('sent') - sum('delivered'),
      ...percentiles(latencies),
      serverCpuUsPerMsg: round((cpu * 1000) / Math.max(1, sum('delivered'))),
      ...perMsg,
    };
  }

  /** RELAY_BENCH_PHASES=max skips the fixed-rate phase (for profiling sessions). */
  #skipped() {
    return Promise.resolve({
      sentPerS: Number.NaN,
      deliveredPerS: Number.NaN,
      lost: 0,
      p50Ms: Number.NaN,
      p95Ms: Number.NaN,
      p99Ms: Number.NaN,
      maxMs: Number.NaN,
      serverCpuUsPerMsg: Number.NaN,
    });
  }

  async measure(system: SystemName): Promise<SystemResult> {
    const plan = this.#plan;
    const deployment = await this.deploy(system);
    const sampler = new RssSampler(deployment.pids);
    try {
      const { generators, seconds } = await this.#connect(deployment, plan.clients);
      this.#log(`${system}: ${plan.clients} clients connected in ${seconds.toFixed(1)} s`);
      const fixed =
        process.env.RELAY_BENCH_PHASES === 'max'
          ? await this.#skipped()
          : await this.#phase(generators, 'fixed', deployment.pids(), deployment.counters);
      this.#log(
        `${system}: fixed ${plan.rate}/s -> delivered ${fixed.deliveredPerS}/s, p50 ${fixed.p50Ms} ms, p99 ${fixed.p99Ms} ms`,
      );
      const max = await this.#phase(generators, 'max', deployment.pids(), deployment.counters);
      this.#log(`${system}: max -> ${max.deliveredPerS} msgs/s, p99 ${max.p99Ms} ms`);
      for (const g of generators) await g.stop();
      const peak = sampler.stop();
      return {
        clients: plan.clients,
        msgsPerS: max.deliveredPerS,
        p50Ms: fixed.p50Ms,
        p95Ms: fixed.p95Ms,
        p99Ms: fixed.p99Ms,
        rssMb: round(peak),
        instances: deployment.urls.length,
        persistence: deployment.persistence,
        fixedRate: { targetPerS: plan.rate, ...fixed },
        maxRate: { window: plan.window, ...max },
        ...(system.endsWith('2') ? { redisRssMb: round(rssMb(this.#redis?.pid)) } : {}),
        ...(deployment.counters === undefined
          ? {}
          : {
              dbRoundTripsPerMsg: (fixed as Record<string, unknown>).dbRoundTripsPerMsg,
              redisCommandsPerMsg: (fixed as Record<string, unknown>).redisCommandsPerMsg,
              upstashRequestsPerMsg: (fixed as Record<string, unknown>).upstashRequestsPerMsg,
              dbRttMs: REMOTE_DB_RTT_MS,
            }),
        loadAverage: loadavg().map((l) => round(l)),
      };
    } finally {
      sampler.stop();
      await deployment.stop();
    }
  }

  async idle(): Promise<SystemResult> {
    const plan = this.#plan;
    const deployment = await this.deploy('parley');
    try {
      const before = rssMb(deployment.pids()[0]);
      const { generators, seconds } = await this.#connect(deployment, plan.idle);
      await Promise.all(
        generators.map((g) =>
          g.request({ cmd: 'idle', ms: plan.idleSettleMs }, plan.idleSettleMs + 30_000),
        ),
      );
      const rss = rssMb(deployment.pids()[0]);
      for (const g of generators) await g.stop();
      this.#log(`idle: ${plan.idle} authenticated connections, relay RSS ${rss.toFixed(0)} MiB`);
      return {
        connections: plan.idle,
        rssMb: round(rss),
        rssBeforeMb: round(before),
        kbPerConnection: round(((rss - before) * 1024) / plan.idle),
        connectSeconds: round(seconds),
      };
    } finally {
      await deployment.stop();
    }
  }

  async close(): Promise<void> {
    for (const c of this.#cleanup.splice(0)) await c().catch(() => undefined);
    await this.#redis?.stop();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

function table(results: Readonly<Record<string, SystemResult>>): string {
  const num = (v: unknown) =>
    typeof v === 'number' && Number.isFinite(v)
      ? Math.abs(v) >= 100 || Number.isInteger(v)
        ? Math.round(v).toLocaleString('en-US')
        : v.toPrecision(3)
      : '–';
  const ratio = (a: unknown, b: unknown) =>
    typeof a === 'number' && typeof b === 'number' && b > 0 ? `${(a / b).toFixed(2)}×` : '–';
  const lines = [
    '| system | persists | instances | clients | fixed rate: delivered/s | p50 ms | p95 ms | p99 ms | max msgs/s | max-rate p99 ms | server CPU µs/msg (max) | peak RSS MiB | msgs/s vs Socket.IO (same instances) |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const name of ['parley', 'socketio', 'ws', 'parley2', 'socketio2', 'parleyRemote']) {
    const r = results[name];
    if (r === undefined) continue;
    const fixed = r.fixedRate as Record<string, unknown>;
    const max = r.maxRate as Record<string, unknown>;
    const reference = results[name.endsWith('2') ? 'socketio2' : 'socketio'];
    lines.push(
      `| ${name} | ${r.persistence === true ? 'yes' : 'no'} | ${r.instances} | ${num(r.clients)} | ${num(fixed.deliveredPerS)} | ${num(r.p50Ms)} | ${num(r.p95Ms)} | ${num(r.p99Ms)} | ${num(r.msgsPerS)} | ${num(max.p99Ms)} | ${num(max.serverCpuUsPerMsg)} | ${num(r.rssMb)} | ${ratio(r.msgsPerS, reference?.msgsPerS)} |`,
    );
  }
  const remote = results.parleyRemote;
  if (remote !== undefined) {
    const fixed = remote.fixedRate as Record<string, unknown>;
    const max = remote.maxRate as Record<string, unknown>;
    lines.push(
      '',
      `parleyRemote (Hrana database +${num(remote.dbRttMs)} ms per round trip, Upstash fan-out): database round trips per message ${num(fixed.dbRoundTripsPerMsg)} at the fixed rate, ${num(max.dbRoundTripsPerMsg)} at max rate; SQL statements per message ${num(fixed.dbStatementsPerMsg)}; Upstash REST requests per message ${num(fixed.upstashRequestsPerMsg)} (fixed), ${num(max.upstashRequestsPerMsg)} (max); Redis commands executed per message, script internals included, ${num(fixed.redisCommandsPerMsg)} (fixed), ${num(max.redisCommandsPerMsg)} (max).`,
    );
  }
  const idle = results.parley?.idle as Record<string, unknown> | undefined;
  if (idle !== undefined) {
    lines.push(
      '',
      `Idle: ${num(idle.connections)} authenticated Parley connections, relay RSS ${num(idle.rssMb)} MiB (${num(idle.kbPerConnection)} KiB per connection; connected in ${num(idle.connectSeconds)} s).`,
    );
  }
  return lines.join('\n');
}

export const suite: Suite = {
  description:
    'Relay: N WebSocket clients, 1:1 messages persisted before `stored`, vs Socket.IO 4 and bare ws (single instance and 2 instances + Redis)',
  async run({ smoke, log }: SuiteOptions) {
    const plan = planFor(smoke);
    log(
      `${plan.clients} clients, fixed ${plan.rate} msgs/s, ${plan.warmupMs / 1000} s warm-up + ${plan.measureMs / 1000} s per phase, idle check ${plan.idle}, SQLITE_SYNCHRONOUS=${plan.sync}`,
    );
    const limit = openFileLimit();
    if (limit < Math.max(plan.clients, plan.idle) + 1000) {
      log(
        `warning: the open-file limit is ${limit}; the relay needs one descriptor per socket. Raise it (ulimit -n ${Math.max(plan.clients, plan.idle) * 2}) before running.`,
      );
    }
    const bench = new RelayBench(plan, log);
    // A hard bound on the whole suite: whatever hangs is killed.
    const deadline = setTimeout(() => {
      log('time limit reached: stopping');
      void bench.close().finally(() => process.exit(4));
    }, 30 * 60_000);
    const results: Record<string, SystemResult> = {};
    try {
      await bench.seed();
      for (const system of plan.systems) results[system] = await bench.measure(system);
      if (plan.idle > 0 && results.parley !== undefined) {
        results.parley = { ...results.parley, idle: await bench.idle() };
      }
    } finally {
      clearTimeout(deadline);
      await bench.close();
    }
    return { results, markdown: table(results) };
  },
};
