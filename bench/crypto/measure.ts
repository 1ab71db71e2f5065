/**
 * The measuring loops, identical for every peer. The machine is shared, so
 * load comes in bursts: each metric is measured in many short slices that
 * alternate between the peers, and the suite reports the median slice. A burst
 * then spoils one slice of each peer instead of one peer's whole measurement.
 */
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

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

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

async function encryptDecrypt(
  { peer, oneWay }: PeerSessions,
  count: number,
  plaintext: Uint8Array,
): Promise<{ encryptPerS: number; decryptPerS: number }> {
  const ciphertexts: Uint8Array[] = new Array(count);
  const encryptMs = await timeMs(async () => {
    for (let i = 0; i < count; i++) ciphertexts[i] = await oneWay.aEncrypt(plaintext);
  });
  let allOk = true;
  const decryptMs = await timeMs(async () => {
    for (const c of ciphertexts) allOk = sameBytes(await oneWay.bDecrypt(c), plaintext) && allOk;
  });
  check(allOk, peer.name, 'decrypt');
  return { encryptPerS: count / (encryptMs / 1000), decryptPerS: count / (decryptMs / 1000) };
}

async function pingPongPerS(
  { peer, pingPong }: PeerSessions,
  count: number,
  plaintext: Uint8Array,
): Promise<number> {
  let allOk = true;
  const ms = await timeMs(async () => {
    for (let i = 0; i < count; i++) {
      allOk =
        sameBytes(await pingPong.bDecrypt(await pingPong.aEncrypt(plaintext)), plaintext) && allOk;
      allOk =
        sameBytes(await pingPong.aDecrypt(await pingPong.bEncrypt(plaintext)), plaintext) && allOk;
    }
  });
  check(allOk, peer.name, 'ping-pong');
  return count / (ms / 1000);
}

async function setupMs(
  { peer }: PeerSessions,
  count: number,
  plaintext: Uint8Array,
): Promise<number> {
  const setupOnce = await peer.prepareSetups(count, plaintext);
  const ms = await timeMs(async () => {
    for (let i = 0; i < count; i++) await setupOnce();
  });
  return ms / count;
}

async function safetyNumberMs({ peer }: PeerSessions, count: number): Promise<number> {
  const safetyNumber = await peer.prepareSafetyNumber();
  let digits = '';
  const ms = await timeMs(async () => {
    for (let i = 0; i < count; i++) digits = await safetyNumber();
  });
  if (!/^[0-9]{60}$/.test(digits)) throw new Error(`${peer.name}: safety number is not 60 digits`);
  return ms / count;
}

/** The measurements of one slice; encrypt and decrypt share one (their messages feed each other). */
export const SLICE_KINDS = ['messages', 'roundTrips', 'setups', 'safetyNumbers'] as const;
export type SliceKind = (typeof SLICE_KINDS)[number];

export async function measureSlice(
  sessions: PeerSessions,
  kind: SliceKind,
  sizes: SliceSizes,
  plaintext: Uint8Array,
): Promise<Partial<CryptoSample>> {
  switch (kind) {
    case 'messages':
      return encryptDecrypt(sessions, sizes.messages, plaintext);
    case 'roundTrips':
      return { pingPongPerS: await pingPongPerS(sessions, sizes.roundTrips, plaintext) };
    case 'setups':
      return { setupMs: await setupMs(sessions, sizes.setups, plaintext) };
    case 'safetyNumbers':
      return { safetyNumberMs: await safetyNumberMs(sessions, sizes.safetyNumbers) };
  }
}
