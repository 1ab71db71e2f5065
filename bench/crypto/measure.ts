/**
 * The measuring loops, identical for every peer. The machine is shared, so
 * load comes in bursts: each metric is measured in many short slices that
 * alternate between the peers, and the suite reports the median slice. A burst
 * then spoils one slice of each peer instead of one peer's whole measurement.
 */
import { equalBytes } from '../../shared/bytes.ts';
import { timeMs } from '../lib/stats.ts';
import type { CryptoPeer, SessionPair } from './peer.ts';

export const MESSAGE_BYTES = 256;

/** Work per slice. */
export interface SliceSizes {
  /** One-way messages (encrypt all, then decrypt all in order). */
  readonly messages: number;
  /** Round trips; every turn starts a new chain (a DH ratchet step). */
  readonly roundTrips: number;
  readonly setups: number;
  readonly safetyNumbers: number;
}

export interface CryptoSample {
  readonly encryptPerS: number;
  readonly decryptPerS: number;
  readonly pingPongPerS: number;
  readonly setupMs: number;
  readonly safetyNumberMs: number;
}

export const METRIC_KEYS = [
  'encryptPerS',
  'decryptPerS',
  'pingPongPerS',
  'setupMs',
  'safetyNumberMs',
] as const satisfies readonly (keyof CryptoSample)[];
export type MetricKey = (typeof METRIC_KEYS)[number];

function check(ok: boolean, peer: string, what: string): void {
  if (!ok) throw new Error(`${peer}: ${what} returned the wrong plaintext`);
}

export function plaintextOf(length: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  crypto.getRandomValues(out);
  return out;
}

/** Long-lived sessions of one peer, reused by every slice (as a chat would). */
export interface PeerSessions {
  readonly peer: CryptoPeer;
  readonly oneWay: SessionPair;
  readonly pingPong: SessionPair;
}

export async function openSessions(peer: CryptoPeer): Promise<PeerSessions> {
  return { peer, oneWay: await peer.createPair(), pingPong: await peer.createPair() };
}

/** Wall time (ms) and CPU time of this whole process, all threads (µs), of one async call. */
async function timed(fn: () => Promise<void>): Promise<{ ms: number; cpuUs: number }> {
  const cpu = process.cpuUsage();
  const ms = await timeMs(fn);
  const used = process.cpuUsage(cpu);
  return { ms, cpuUs: used.user + used.system };
}

/** One slice's numbers: the metrics (wall clock), and CPU µs per operation (informational). */
export interface SliceResult {
  readonly sample: Partial<CryptoSample>;
  readonly cpuUsPerOp: Partial<Record<MetricKey, number>>;
}

async function encryptDecrypt(
  { peer, oneWay }: PeerSessions,
  count: number,
  plaintext: Uint8Array,
): Promise<SliceResult> {
  const ciphertexts: Uint8Array[] = new Array(count);
  const enc = await timed(async () => {
    for (let i = 0; i < count; i++) ciphertexts[i] = await oneWay.aEncrypt(plaintext);
  });
  let allOk = true;
  const dec = await timed(async () => {
    for (const c of ciphertexts) allOk = equalBytes(await oneWay.bDecrypt(c), plaintext) && allOk;
  });
  check(allOk, peer.name, 'decrypt');
  return {
    sample: { encryptPerS: count / (enc.ms / 1000), decryptPerS: count / (dec.ms / 1000) },
    cpuUsPerOp: { encryptPerS: enc.cpuUs / count, decryptPerS: dec.cpuUs / count },
  };
}

async function pingPong(
  { peer, pingPong }: PeerSessions,
  count: number,
  plaintext: Uint8Array,
): Promise<SliceResult> {
  let allOk = true;
  const t = await timed(async () => {
    for (let i = 0; i < count; i++) {
      allOk =
        equalBytes(await pingPong.bDecrypt(await pingPong.aEncrypt(plaintext)), plaintext) && allOk;
      allOk =
        equalBytes(await pingPong.aDecrypt(await pingPong.bEncrypt(plaintext)), plaintext) && allOk;
    }
  });
  check(allOk, peer.name, 'ping-pong');
  return {
    sample: { pingPongPerS: count / (t.ms / 1000) },
    cpuUsPerOp: { pingPongPerS: t.cpuUs / count },
  };
}

async function setups(
  { peer }: PeerSessions,
  count: number,
  plaintext: Uint8Array,
): Promise<SliceResult> {
  // Key generation for `count` setups (registration, untimed), then the setups themselves.
  const setupOnce = await peer.prepareSetups(count, plaintext);
  const t = await timed(async () => {
    for (let i = 0; i < count; i++) await setupOnce();
  });
  return { sample: { setupMs: t.ms / count }, cpuUsPerOp: { setupMs: t.cpuUs / count } };
}

async function safetyNumbers({ peer }: PeerSessions, count: number): Promise<SliceResult> {
  const safetyNumber = await peer.prepareSafetyNumber();
  let digits = '';
  const t = await timed(async () => {
    for (let i = 0; i < count; i++) digits = await safetyNumber();
  });
  if (!/^[0-9]{60}$/.test(digits)) throw new Error(`${peer.name}: safety number is not 60 digits`);
  return {
    sample: { safetyNumberMs: t.ms / count },
    cpuUsPerOp: { safetyNumberMs: t.cpuUs / count },
  };
}

/** The measurements of one slice; encrypt and decrypt share one (their messages feed each other). */
export const SLICE_KINDS = ['messages', 'roundTrips', 'setups', 'safetyNumbers'] as const;
export type SliceKind = (typeof SLICE_KINDS)[number];

export function measureSlice(
  sessions: PeerSessions,
  kind: SliceKind,
  sizes: SliceSizes,
  plaintext: Uint8Array,
): Promise<SliceResult> {
  switch (kind) {
    case 'messages':
      return encryptDecrypt(sessions, sizes.messages, plaintext);
    case 'roundTrips':
      return pingPong(sessions, sizes.roundTrips, plaintext);
    case 'setups':
      return setups(sessions, sizes.setups, plaintext);
    case 'safetyNumbers':
      return safetyNumbers(sessions, sizes.safetyNumbers);
  }
}

/** What runs slices: a peer in this process, or one in a child process (remote-peer.ts). */
export interface SliceRunner {
  readonly name: string;
  slice(kind: SliceKind, sizes: SliceSizes): Promise<SliceResult>;
}

/** Parent -> child (peer-process.ts). */
export interface SliceRequest {
  readonly id: number;
  readonly kind: SliceKind;
  readonly sizes: SliceSizes;
}

/** Child -> parent: ready once its sessions are open, then one answer per request. */
export type SliceResponse =
  | { readonly ready: true }
  | { readonly id: number; readonly result: SliceResult }
  | { readonly id: number; readonly error: string };

/** The timed part of a slice, ms (without untimed preparation such as key generation). */
function timedMs(kind: SliceKind, sizes: SliceSizes, sample: Partial<CryptoSample>): number {
  const n = sizes[kind];
  switch (kind) {
    case 'messages':
      return (
        (1000 * n) / (sample.encryptPerS ?? Number.POSITIVE_INFINITY) +
        (1000 * n) / (sample.decryptPerS ?? Number.POSITIVE_INFINITY)
      );
    case 'roundTrips':
      return (1000 * n) / (sample.pingPongPerS ?? Number.POSITIVE_INFINITY);
    case 'setups':
      return n * (sample.setupMs ?? 0);
    case 'safetyNumbers':
      return n * (sample.safetyNumberMs ?? 0);
  }
}

/** How long to warm one kind of work up: until either bound is reached. */
export interface WarmupTarget {
  /** Wall time spent in this kind's slices, ms. */
  readonly ms: number;
  /** Operations (messages, round trips, setups or safety numbers). */
  readonly ops: number;
}

export type WarmupPlan = Readonly<Record<SliceKind, WarmupTarget>>;

export interface WarmupDone {
  readonly kind: SliceKind;
  readonly peer: string;
  readonly ms: number;
  readonly ops: number;
}

/**
 * Warms every peer up with the same work: for each kind, slices alternate
 * between the peers, and a peer stops once it has spent `ms` of timed work in
 * that kind or done `ops` operations of it (whichever comes first; the same
 * bounds for every peer). The results are thrown away.
 */
export async function warmUp(
  peers: readonly SliceRunner[],
  plan: WarmupPlan,
  sizes: SliceSizes,
): Promise<WarmupDone[]> {
  const done: WarmupDone[] = [];
  for (const kind of SLICE_KINDS) {
    const target = plan[kind];
    const spent = peers.map(() => ({ ms: 0, ops: 0 }));
    const finished = (i: number): boolean => {
      const s = spent[i];
      return s === undefined || s.ms >= target.ms || s.ops >= target.ops;
    };
    while (!peers.every((_, i) => finished(i))) {
      for (const [i, p] of peers.entries()) {
        const s = spent[i];
        if (s === undefined || finished(i)) continue;
        s.ms += timedMs(kind, sizes, (await p.slice(kind, sizes)).sample);
        s.ops += sizes[kind];
      }
    }
    for (const [i, p] of peers.entries()) {
      const s = spent[i];
      if (s !== undefined) done.push({ kind, peer: p.name, ms: s.ms, ops: s.ops });
    }
  }
  return done;
}
