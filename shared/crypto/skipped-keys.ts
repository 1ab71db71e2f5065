/**
 * Message keys kept for messages that have not arrived yet (out-of-order
 * delivery), as an immutable value: every change returns a new store and leaves
 * the old one intact, which is what makes ratchet decryption transactional.
 *
 * Bounds (DESIGN §3): at most MAX_STORED_SKIPPED_KEYS per session, oldest
 * evicted first; each key kept at most SKIPPED_KEY_MAX_AGE_MS. Insertion order
 * is age order, so eviction takes from the front of the map.
 */
import { type Bytes, toHex } from '../bytes.ts';

export const MAX_STORED_SKIPPED_KEYS = 2000;
export const SKIPPED_KEY_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;

export interface SkippedKey {
  /** The sender's ratchet public key of the chain this key belongs to. */
  readonly ratchetKey: Bytes;
  readonly index: number;
  readonly messageKey: Bytes;
  /** When it was stored (ms, from the caller's clock). */
  readonly storedAt: number;
}

function slot(ratchetKey: Uint8Array, index: number): string {
  return `${toHex(ratchetKey)}:${index}`;
}

export class SkippedKeys {
  static readonly EMPTY = new SkippedKeys(new Map(), Number.POSITIVE_INFINITY);

  readonly #entries: ReadonlyMap<string, SkippedKey>;
  /** Earliest storedAt, so an expiry check costs O(1) when nothing has expired. */
  readonly #oldest: number;

  private constructor(entries: ReadonlyMap<string, SkippedKey>, oldest: number) {
    this.#entries = entries;
    this.#oldest = oldest;
  }

  static #from(entries: Map<string, SkippedKey>): SkippedKeys {
    if (entries.size === 0) return SkippedKeys.EMPTY;
    let oldest = Number.POSITIVE_INFINITY;
    for (const e of entries.values()) if (e.storedAt < oldest) oldest = e.storedAt;
    return new SkippedKeys(entries, oldest);
  }

  /** Builds a store from decoded entries (state restore), applying the same bound. */
  static of(keys: Iterable<SkippedKey>, limit = MAX_STORED_SKIPPED_KEYS): SkippedKeys {
    return SkippedKeys.EMPTY.withAdded(keys, limit);
  }

  get size(): number {
    return this.#entries.size;
  }

  get(ratchetKey: Uint8Array, index: number): SkippedKey | undefined {
    return this.#entries.size === 0 ? undefined : this.#entries.get(slot(ratchetKey, index));
  }

  without(ratchetKey: Uint8Array, index: number): SkippedKeys {
    const key = slot(ratchetKey, index);
    if (!this.#entries.has(key)) return this;
    const next = new Map(this.#entries);
    next.delete(key);
    return SkippedKeys.#from(next);
  }

  /** Adds keys in order; evicts the oldest beyond `limit`. */
  withAdded(keys: Iterable<SkippedKey>, limit = MAX_STORED_SKIPPED_KEYS): SkippedKeys {
    let next: Map<string, SkippedKey> | undefined;
    for (const k of keys) {
      next ??= new Map(this.#entries);
      const key = slot(k.ratchetKey, k.index);
      next.delete(key); // re-adding moves it to the back (it is the newest now)
      next.set(key, k);
    }
    if (next === undefined) return this;
    for (const key of next.keys()) {
      if (next.size <= limit) break;
      next.delete(key);
    }
    return SkippedKeys.#from(next);
  }

  /** Drops keys stored at least `maxAge` ago; returns this store if none are. */
  withoutExpired(now: number, maxAge = SKIPPED_KEY_MAX_AGE_MS): SkippedKeys {
    if (now - this.#oldest < maxAge) return this;
    const next = new Map<string, SkippedKey>();
    for (const [key, e] of this.#entries) if (now - e.storedAt < maxAge) next.set(key, e);
    return SkippedKeys.#from(next);
  }

  values(): IterableIterator<SkippedKey> {
    return this.#entries.values();
  }
}
