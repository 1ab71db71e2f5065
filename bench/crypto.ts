/**
 * Crypto suite: Parley's protocol core against @signalapp/libsignal-client in
 * the same process and run, 256-byte messages. Each metric is measured in
 * short slices alternating between the peers (see crypto/measure.ts); the
 * median slice is reported.
 *
 * Results: bench/results/crypto.json = { parley: {...}, libsignal: {...} },
 * each with encryptPerS, decryptPerS, pingPongPerS, setupMs, safetyNumberMs.
 */
import { createLibsignalPeer } from './crypto/libsignal-peer.ts';
import {
  type CryptoSample,
  MESSAGE_BYTES,
  measureSlice,
  openSessions,
  type PeerSessions,
  plaintextOf,
  SLICE_KINDS,
  type SliceSizes,
} from './crypto/measure.ts';
import { createParleyPeer } from './crypto/parley-peer.ts';
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
const KEYS = ['encryptPerS', 'decryptPerS', 'pingPongPerS', 'setupMs', 'safetyNumberMs'] as const;

interface Plan {
  readonly slice: SliceSizes;
  readonly rounds: number;
  readonly warmup: boolean;
}
const FULL: Plan = {
  slice: { messages: 500, roundTrips: 100, setups: 10, safetyNumbers: 5 },
  rounds: 15,
  warmup: true,
};
const SMOKE: Plan = {
  slice: { messages: 10, roundTrips: 3, setups: 1, safetyNumbers: 1 },
  rounds: 1,
  warmup: false,
};

type Samples = Record<(typeof KEYS)[number], number[]>;

function medians(samples: Samples): CryptoSample {
  const of = (key: (typeof KEYS)[number]): number => round(median(samples[key]));
  return {
    encryptPerS: of('encryptPerS'),
    decryptPerS: of('decryptPerS'),
    pingPongPerS: of('pingPongPerS'),
    setupMs: of('setupMs'),
    safetyNumberMs: of('safetyNumberMs'),
  };
}

export const suite: Suite = {
  description: `Parley vs @signalapp/libsignal-client, ${MESSAGE_BYTES}-byte messages`,

  async run({ smoke, log }) {
    const plan = smoke ? SMOKE : FULL;
    const plaintext = plaintextOf(MESSAGE_BYTES);
    const peers: PeerSessions[] = [];
    for (const peer of [createParleyPeer(), createLibsignalPeer()])
      peers.push(await openSessions(peer));
    const samples = new Map<string, Samples>(
      peers.map((p) => [
        p.peer.name,
        { encryptPerS: [], decryptPerS: [], pingPongPerS: [], setupMs: [], safetyNumberMs: [] },
      ]),
    );
    if (plan.warmup) {
      log('warming up (JIT, WebAssembly, native library)');
      for (const p of peers)
        for (const kind of SLICE_KINDS) await measureSlice(p, kind, plan.slice, plaintext);
    }
    for (let r = 0; r < plan.rounds; r++) {
      for (const kind of SLICE_KINDS) {
        // Alternate who goes first so neither always runs right after the other.
        const order = (r + SLICE_KINDS.indexOf(kind)) % 2 === 0 ? peers : [...peers].reverse();
        for (const p of order) {
          const part = await measureSlice(p, kind, plan.slice, plaintext);
          const into = samples.get(p.peer.name);
          for (const key of KEYS) {
            const value = part[key];
            if (value !== undefined) into?.[key].push(value);
          }
        }
      }
      log(`round ${r + 1}/${plan.rounds} done`);
    }
    const empty: Samples = {
      encryptPerS: [],
      decryptPerS: [],
      pingPongPerS: [],
      setupMs: [],
      safetyNumberMs: [],
    };
    const parley = medians(samples.get('parley') ?? empty);
    const libsignal = medians(samples.get('libsignal') ?? empty);
    const table = comparisonTable(
      METRICS,
      { name: 'parley', results: { ...parley } },
      { name: 'libsignal', results: { ...libsignal } },
    );
    const s = plan.slice;
    const notes = [
      `Median of ${plan.rounds} slice(s) per metric, slices alternating between the peers; a slice is ` +
        `${s.messages} one-way messages, ${s.roundTrips} round trips, ${s.setups} setups or ${s.safetyNumbers} safety numbers.`,
      'Both peers keep long-lived sessions in memory (Parley: session values; libsignal: in-memory stores), nothing persisted between messages.',
      'Setup: the initiator verifies the bundle, runs PQXDH (DH + KEM encapsulation) and encrypts the first message; ' +
        'the responder looks up its prekeys, runs PQXDH (DH + decapsulation) and decrypts. Identity and prekey ' +
        'generation (registration) is not timed, for either peer.',
      'KEM: Parley ML-KEM-768 (@noble/post-quantum, JS); libsignal Kyber-1024 (native Rust).',
    ];
    return {
      results: { parley, libsignal },
      markdown: `${table}\n\n${notes.map((n) => `- ${n}`).join('\n')}`,
    };
  },
};
