/**
 * Crypto suite: Parley's protocol core against @signalapp/libsignal-client in
 * the same run, 256-byte messages.
 *
 * Method (the same for both peers, so the ratios compare like with like):
 *  0. Each peer runs in its own child process (crypto/peer-process.ts), as in
 *     a real application; this process only orchestrates, one slice at a time,
 *     so the two never run at the same moment. In one shared process the two
 *     libraries distort each other through the shared V8 heap: libsignal's
 *     native-object wrappers made every scavenge ~3.5x as slow (median 7.6 ms
 *     instead of 2.1 ms, plus 64 ms mark-compacts), a cost paid by whichever
 *     library allocates next, and each library's garbage was collected during
 *     the other's slices.
 *  1. Cold start (informational): right after its sessions are opened, each
 *     peer runs one slice of every kind (200 messages, 40 round trips, one
 *     setup, one safety number: the very first call, which for Parley includes
 *     instantiating the WebAssembly hasher).
 *  2. Warm-up: for each kind of work, slices alternate between the peers until
 *     each peer has done >= 3 s of timed work or the operation cap (30,000
 *     messages, 5,000 round trips, 100 setups, 100 safety numbers), whichever
 *     comes first, then two discarded rounds of every kind. The JIT (V8 for
 *     Parley's JavaScript and for libsignal's JS wrappers and stores) reaches
 *     its steady state here; the numbers are thrown away.
 *  3. Measurement: 61 rounds of one short slice per kind and peer (200
 *     messages, 40 round trips, 5 setups, 3 safety numbers), interleaved, with
 *     the peer that goes first alternating; each metric is the median slice of
 *     its peer. The machine is shared and load comes in bursts: short slices
 *     and many rounds keep both peers under the same mix of outside load, and
 *     a burst spoils one slice of each peer rather than one peer's whole
 *     measurement. The spread is reported as the range of the per-round ratio
 *     (adjacent slices of the two peers), which is what the load noise does to
 *     the comparison.
 *
 * Results: bench/results/crypto.json = { parley: {...}, libsignal: {...} },
 * each with encryptPerS, decryptPerS, pingPongPerS, setupMs, safetyNumberMs
 * (steady-state medians of wall-clock slices). Cold-start numbers, spreads and
 * CPU time per operation (all threads of a peer's process) are printed only.
 */
import {
  type CryptoSample,
  MESSAGE_BYTES,
  METRIC_KEYS,
  type MetricKey,
  SLICE_KINDS,
  type SliceResult,
  type SliceRunner,
  type SliceSizes,
  type WarmupPlan,
  warmUp,
} from './crypto/measure.ts';
import { type RemotePeer, startRemotePeer } from './crypto/remote-peer.ts';
import { median, round } from './lib/stats.ts';
import type { Suite } from './lib/suite.ts';
import { comparisonTable, type Metric } from './lib/table.ts';

const METRICS: readonly Metric[] = [
  { key: 'encryptPerS', label: 'one-way encrypt', unit: 'msg/s', better: 'higher' },
  { key: 'decryptPerS', label: 'one-way decrypt', unit: 'msg/s', better: 'higher' },
  {
    key: 'pingPongPerS',
    label: 'ping-pong round trips, DH ratchet every turn',
    unit: 'rt/s',
    better: 'higher',
  },
  { key: 'setupMs', label: 'PQXDH session setup incl. first message', unit: 'ms', better: 'lower' },
  { key: 'safetyNumberMs', label: 'safety number (2 x 5200 SHA-512)', unit: 'ms', better: 'lower' },
];

interface Plan {
  readonly slice: SliceSizes;
  readonly cold: SliceSizes;
  readonly warmup: WarmupPlan | undefined;
  /** Discarded rounds of every kind after the per-kind warm-up. */
  readonly mixedWarmupRounds: number;
  readonly rounds: number;
}
const FULL: Plan = {
  slice: { messages: 200, roundTrips: 40, setups: 5, safetyNumbers: 3 },
  cold: { messages: 200, roundTrips: 40, setups: 1, safetyNumbers: 1 },
  warmup: {
    messages: { ms: 3000, ops: 30_000 },
    roundTrips: { ms: 3000, ops: 5000 },
    setups: { ms: 3000, ops: 100 },
    safetyNumbers: { ms: 3000, ops: 100 },
  },
  mixedWarmupRounds: 2,
  rounds: 61,
};
const SMOKE: Plan = {
  slice: { messages: 10, roundTrips: 3, setups: 1, safetyNumbers: 1 },
  cold: { messages: 10, roundTrips: 3, setups: 1, safetyNumbers: 1 },
  warmup: undefined,
  mixedWarmupRounds: 0,
  rounds: 1,
};

type Samples = Record<MetricKey, number[]>;

function emptySamples(): Samples {
  return { encryptPerS: [], decryptPerS: [], pingPongPerS: [], setupMs: [], safetyNumberMs: [] };
}

function medians(samples: Samples): CryptoSample {
  const of = (key: MetricKey): number => round(median(samples[key]));
  return {
    encryptPerS: of('encryptPerS'),
    decryptPerS: of('decryptPerS'),
    pingPongPerS: of('pingPongPerS'),
    setupMs: of('setupMs'),
    safetyNumberMs: of('safetyNumberMs'),
  };
}

/** "How many times as fast" Parley is, whichever way the metric points. */
function speedOf(metric: Metric, parley: number, libsignal: number): number {
  return metric.better === 'higher' ? parley / libsignal : libsignal / parley;
}

/** One slice of every kind for every peer; the order of the peers alternates by round and kind. */
async function runRound(
  peers: readonly SliceRunner[],
  round: number,
  sizes: SliceSizes,
  record?: (peer: string, part: SliceResult) => void,
): Promise<void> {
  for (const [k, kind] of SLICE_KINDS.entries()) {
    const order = (round + k) % 2 === 0 ? peers : [...peers].reverse();
    for (const p of order) {
      const part = await p.slice(kind, sizes);
      record?.(p.name, part);
    }
  }
}

function fmt(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toPrecision(3);
}

export const suite: Suite = {
  description: `Parley vs @signalapp/libsignal-client, ${MESSAGE_BYTES}-byte messages`,

  async run({ smoke, log }) {
    const plan = smoke ? SMOKE : FULL;
    const peers: RemotePeer[] = [];
    try {
      // Started one after the other, so neither's start-up competes with the other's.
      for (const name of ['parley', 'libsignal']) peers.push(await startRemotePeer(name));
      return await measure(plan, peers, log);
    } finally {
      await Promise.all(peers.map((p) => p.close()));
    }
  },
};

async function measure(
  plan: Plan,
  peers: readonly SliceRunner[],
  log: (line: string) => void,
): Promise<{ results: Record<string, CryptoSample>; markdown: string }> {
  // 1. Cold start: the first slice of every kind, per peer (informational).
  const cold = new Map<string, Partial<CryptoSample>>();
  for (const p of peers) {
    let sample: Partial<CryptoSample> = {};
    for (const kind of SLICE_KINDS)
      sample = { ...sample, ...(await p.slice(kind, plan.cold)).sample };
    cold.set(p.name, sample);
  }

  // 2. Warm-up, identical for both peers; results discarded.
  if (plan.warmup !== undefined) {
    log('warming up: each kind until 3 s of timed work or the operation cap, per peer');
    const done = await warmUp(peers, plan.warmup, plan.slice);
    for (const d of done)
      log(`  warm-up ${d.kind} ${d.peer}: ${d.ops} ops, ${(d.ms / 1000).toFixed(1)} s timed`);
    for (let r = 0; r < plan.mixedWarmupRounds; r++) await runRound(peers, r, plan.slice);
  }

  // 3. Interleaved measurement rounds.
  const samples = new Map<string, Samples>(peers.map((p) => [p.name, emptySamples()]));
  const cpu = new Map<string, Samples>(peers.map((p) => [p.name, emptySamples()]));
  for (let r = 0; r < plan.rounds; r++) {
    await runRound(peers, r, plan.slice, (name, part) => {
      for (const key of METRIC_KEYS) {
        const value = part.sample[key];
        if (value !== undefined) samples.get(name)?.[key].push(value);
        const cpuUs = part.cpuUsPerOp[key];
        if (cpuUs !== undefined) cpu.get(name)?.[key].push(cpuUs);
      }
    });
    log(`round ${r + 1}/${plan.rounds} done`);
  }

  const parleySamples = samples.get('parley') ?? emptySamples();
  const libsignalSamples = samples.get('libsignal') ?? emptySamples();
  const parley = medians(parleySamples);
  const libsignal = medians(libsignalSamples);
  const table = comparisonTable(
    METRICS,
    { name: 'parley', results: { ...parley } },
    { name: 'libsignal', results: { ...libsignal } },
  );

  // Spread: Parley's speed relative to libsignal per round (adjacent slices).
  const spreadLines = [
    '| metric | parley speed per round: median | min | max | parley slices p25–p75 | libsignal slices p25–p75 |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  const quartiles = (values: readonly number[]): string => {
    const sorted = [...values].sort((a, b) => a - b);
    const at = (q: number): number => sorted[Math.floor(q * (sorted.length - 1))] ?? Number.NaN;
    return `${fmt(at(0.25))}–${fmt(at(0.75))}`;
  };
  for (const m of METRICS) {
    const key = m.key as MetricKey;
    const ps = parleySamples[key];
    const ls = libsignalSamples[key];
    const speeds = ps.map((v, i) => speedOf(m, v, ls[i] ?? Number.NaN));
    spreadLines.push(
      `| ${m.key} | ${median(speeds).toFixed(2)}× | ${Math.min(...speeds).toFixed(2)}× | ${Math.max(...speeds).toFixed(2)}× | ${quartiles(ps)} | ${quartiles(ls)} |`,
    );
  }

  // CPU time per operation: all threads of the peer's process (for Parley that includes
  // WebCrypto's thread pool and V8's GC helpers). Far less disturbed by other processes
  // than wall time, so it shows the work each library does per operation.
  const cpuLines = [
    '| metric | parley CPU µs/op | libsignal CPU µs/op | parley speed by CPU time |',
    '|---|---:|---:|---:|',
  ];
  const cpuOps: Readonly<Record<MetricKey, string>> = {
    encryptPerS: 'message',
    decryptPerS: 'message',
    pingPongPerS: 'round trip',
    setupMs: 'setup',
    safetyNumberMs: 'safety number',
  };
  for (const m of METRICS) {
    const key = m.key as MetricKey;
    const a = median(cpu.get('parley')?.[key] ?? []);
    const b = median(cpu.get('libsignal')?.[key] ?? []);
    cpuLines.push(
      `| ${m.key} (per ${cpuOps[key]}) | ${fmt(a)} | ${fmt(b)} | ${(b / a).toFixed(2)}× |`,
    );
  }

  const coldLines = [
    '| metric | parley (cold) | libsignal (cold) | parley speed (cold) |',
    '|---|---:|---:|---:|',
  ];
  const coldParley = cold.get('parley') ?? {};
  const coldLibsignal = cold.get('libsignal') ?? {};
  for (const m of METRICS) {
    const key = m.key as MetricKey;
    const a = coldParley[key] ?? Number.NaN;
    const b = coldLibsignal[key] ?? Number.NaN;
    coldLines.push(`| ${m.key} | ${fmt(a)} | ${fmt(b)} | ${speedOf(m, a, b).toFixed(2)}× |`);
  }

  const s = plan.slice;
  const c = plan.cold;
  const w = plan.warmup;
  const notes = [
    `Steady state: median of ${plan.rounds} slice(s) per metric and peer, slices interleaved between the peers ` +
      `(who goes first alternates); a slice is ${s.messages} one-way messages (encrypted, then decrypted), ` +
      `${s.roundTrips} round trips, ${s.setups} setups or ${s.safetyNumbers} safety numbers.`,
    w === undefined
      ? 'No warm-up (smoke run).'
      : `Warm-up, identical for both peers and discarded: per kind, slices alternate between the peers until each ` +
        `has done ${w.messages.ms / 1000} s of timed work or the cap (${w.messages.ops} messages, ` +
        `${w.roundTrips.ops} round trips, ${w.setups.ops} setups, ${w.safetyNumbers.ops} safety numbers), ` +
        `then ${plan.mixedWarmupRounds} discarded rounds of every kind.`,
    `Cold start (informational, below): each peer's first slice right after its two sessions were opened: ` +
      `${c.messages} messages, ${c.roundTrips} round trips, ${c.setups} setup, ${c.safetyNumbers} safety number ` +
      '(the first call; for Parley it includes instantiating the WebAssembly SHA-512).',
    'Each peer runs in its own child process (own V8 heap, as in an application); this process alternates slices between them, ' +
      'so only one runs at a time. Both keep long-lived sessions in memory (Parley: session values; libsignal: in-memory stores), ' +
      'nothing persisted between messages.',
    'Setup: the initiator verifies the bundle, runs PQXDH (DH + KEM encapsulation) and encrypts the first message; ' +
      'the responder looks up its prekeys, runs PQXDH (DH + decapsulation) and decrypts. Identity and prekey ' +
      'generation (registration), the bundle and the prekey stores are prepared untimed, for both peers.',
    'KEM: Parley ML-KEM-768 (@noble/post-quantum, JavaScript); libsignal Kyber-1024 (native Rust). ' +
      'Setup has no speed target.',
    'The machine is shared (other processes load both cores): compare ratios within one run; the spread table ' +
      'shows how far single rounds scatter.',
  ];
  return {
    results: { parley, libsignal },
    markdown: [
      table,
      notes.map((n) => `- ${n}`).join('\n'),
      `### Spread (steady state)\n\n${spreadLines.join('\n')}`,
      `### CPU time per operation (steady state, informational)\n\n${cpuLines.join('\n')}\n\n` +
        "Median of the same slices; CPU time of all threads of the peer's process (process.cpuUsage), " +
        'so WebCrypto thread-pool work and GC helper threads count. It is much less affected by other ' +
        'processes than wall time; the targets are defined on wall time (table above).',
      `### Cold start (informational)\n\n${coldLines.join('\n')}`,
    ].join('\n\n'),
  };
}
