/**
 * Shared set-up for the Sender Key tests: two identities, one distribution id,
 * a sender with its receiver record, and a seeded random source for
 * fast-check runs.
 */
import { type Bytes, concat, fromHex, utf8 } from '../../bytes.ts';
import { type Random, systemRandom } from '../random.ts';
import {
  createDistributionMessage,
  createSenderKey,
  processDistributionMessage,
  type SenderKeyRecord,
  type SenderKeyState,
} from '../sender-key-chain.ts';
import { encryptGroupMessage } from '../sender-keys.ts';

export const T0 = 1_700_000_000_000;
export const DAY = 24 * 60 * 60 * 1000;
export const clock = (t = T0) => ({ now: () => t });
export const deps = { random: systemRandom };
export const aliceIdentity = concat(new Uint8Array([1]), new Uint8Array(64).fill(0xa1));
export const bobIdentity = concat(new Uint8Array([1]), new Uint8Array(64).fill(0xb2));
export const distributionId = fromHex('f0e0d0c0b0a090807060504030201000');

/** Deterministic randomness for fast-check runs (chain ids, chain keys). */
export function seededRandom(seed: number): Random {
  let x = seed >>> 0 || 1;
  return (length) => {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 0xff;
    }
    return out;
  };
}

/** A fresh sender (Alice) and the record a member builds from her distribution message. */
export async function setup(): Promise<{ sender: SenderKeyState; record: SenderKeyRecord }> {
  const sender = await createSenderKey(deps, distributionId);
  return {
    sender,
    record: processDistributionMessage(undefined, createDistributionMessage(sender)),
  };
}

/** `count` messages "message 0", "message 1", … and the state after them. */
export async function encryptMany(state: SenderKeyState, count: number, identity = aliceIdentity) {
  const messages: Bytes[] = [];
  let s = state;
  for (let i = 0; i < count; i++) {
    const r = await encryptGroupMessage(s, utf8(`message ${i}`), identity);
    messages.push(r.message);
    s = r.state;
  }
  return { state: s, messages };
}
