/**
 * Deterministic stand-ins for randomness, the clock and X25519 key generation,
 * so whole sessions can be replayed byte for byte (frozen vectors, state
 * round-trip tests). Test-only: never use these outside tests.
 */
import { type Bytes, concat, u32be, utf8 } from '../../bytes.ts';
import { sha256Digest } from '../kdf.ts';
import type { Random } from '../random.ts';
import { type DhKeyPair, dhKeyPairFromPrivate } from '../x25519.ts';

/** SHA-256(label || 0x00 || seed || u32 counter) blocks, concatenated: reproducible bytes. */
export function seededRandom(seed: string): Random {
  const prefix = concat(utf8('parley-test-random'), new Uint8Array([0]), utf8(seed));
  let counter = 0;
  let pool: Uint8Array = new Uint8Array(0);
  return (length) => {
    while (pool.length < length)
      pool = concat(pool, sha256Digest(concat(prefix, u32be(counter++))));
    const out = pool.slice(0, length);
    pool = pool.slice(length);
    return out;
  };
}

/** X25519 key pairs whose private keys come from `random`, in call order. */
export function seededDhKeyPairs(random: Random): () => Promise<DhKeyPair> {
  return () => dhKeyPairFromPrivate(random(32));
}

export interface QueuedDhKeyPairs {
  (): Promise<DhKeyPair>;
  /** How many keys have been handed out. */
  readonly used: number;
}

/** Hands out the given private keys in order; fails loudly when they run out. */
export function queuedDhKeyPairs(privateKeys: readonly Uint8Array[]): QueuedDhKeyPairs {
  let next = 0;
  const generate = () => {
    const raw = privateKeys[next++];
    if (raw === undefined)
      return Promise.reject(new Error('queuedDhKeyPairs: no private keys left'));
    return dhKeyPairFromPrivate(raw);
  };
  return Object.defineProperty(generate, 'used', { get: () => next }) as QueuedDhKeyPairs;
}

/** Returns the given byte strings in order (each request must match the next one's length). */
export function queuedRandom(chunks: readonly Uint8Array[]): Random {
  let next = 0;
  return (length) => {
    const chunk = chunks[next++];
    if (chunk === undefined || chunk.length !== length) {
      throw new Error(`queuedRandom: request ${next} for ${length} bytes does not match the queue`);
    }
    return Uint8Array.from(chunk) as Bytes;
  };
}

export interface ManualClock {
  readonly now: () => number;
  advance(ms: number): void;
}

export function manualClock(start = 1_700_000_000_000): ManualClock {
  let t = start;
  return {
    now: () => t,
    advance(ms) {
      t += ms;
    },
  };
}
