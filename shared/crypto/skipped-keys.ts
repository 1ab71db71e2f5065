/**
 * Message keys kept for messages that have not arrived yet (out-of-order
 * delivery), as an immutable value: every change returns a new store and leaves
 * the old one intact, which is what makes ratchet decryption transactional.
 *
 * Bounds (DESIGN §3): at most MAX_STORED_SKIPPED_KEYS per session, oldest
 * evicted first; each key kept at most SKIPPED_KEY_MAX_AGE_MS. Insertion order
 * is age order, so eviction takes from the front of the map.
 *
 * Copy-on-write without copying the whole store per message: a store is a map
 * that is never changed after it is built, plus a small set of slots removed
 * since (a late message uses its key once). Removing a key copies only that
 * set; the map is rebuilt when the set grows past REMOVED_BEFORE_COMPACTION or
 * when keys are added or expire, so a removal costs O(1) amortised instead of
 * O(stored keys).
 */
import { type Bytes, toHex } from '../bytes.ts';
import { MAX_STORED_SKIPPED_KEYS, SKIPPED_KEY_MAX_AGE_MS } from './limits.ts';

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

/** Removed slots tolerated beside the map before it is rebuilt without them. */
const REMOVED_BEFORE_COMPACTION = 32;
const NONE_REMOVED: ReadonlySet<string> = new Set();

export class SkippedKeys {
  static readonly EMPTY = new SkippedKeys(new Map(), NONE_REMOVED, Number.POSITIVE_INFINITY);

  /** Never changed once built (other stores may share it). */
  readonly #entries: ReadonlyMap<string, SkippedKey>;
  /** Slots of #entries that are no longer in this store. */
  readonly #removed: ReadonlySet<string>;
  /** Earliest storedAt (of #entries), so an expiry check costs O(1) when nothing has expired. */
  readonly #oldest: number;

  private constructor(
    entries: ReadonlyMap<string, SkippedKey>,
    removed: ReadonlySet<string>,
    oldest: number,
  ) {
    this.#entries = entries;
    this.#removed = removed;
    this.#oldest = oldest;
  }

  static #from(entries: Map<string, SkippedKey>): SkippedKeys {
    if (entries.size === 0) return SkippedKeys.EMPTY;
    let oldest = Number.POSITIVE_INFINITY;
    for (const e of entries.values()) if (e.storedAt < oldest) oldest = e.storedAt;
    return new SkippedKeys(entries, NONE_REMOVED, oldest);
  }

  /** Builds a store from decoded entries (state restore), applying the same bound. */
  static of(keys: Iterable<SkippedKey>, limit = MAX_STORED_SKIPPED_KEYS): SkippedKeys {
    return SkippedKeys.EMPTY.withAdded(keys, limit);
  }

  get size(): number {
    return this.#entries.size - this.#removed.size;
  }

  get(ratchetKey: Uint8Array, index: number): SkippedKey | undefined {
    if (this.size === 0) return undefined;
    const key = slot(ratchetKey, index);
    return this.#removed.has(key) ? undefined : this.#entries.get(key);
  }

  without(ratchetKey: Uint8Array, index: number): SkippedKeys {
    const key = slot(ratchetKey, index);
    if (!this.#entries.has(key) || this.#removed.has(key)) return this;
    if (this.#removed.size + 1 >= REMOVED_BEFORE_COMPACTION) {
      const next = this.#live();
      next.delete(key);
      return SkippedKeys.#from(next);
    }
    const removed = new Set(this.#removed);
    removed.add(key);
    return removed.size === this.#entries.size
      ? SkippedKeys.EMPTY
      : new SkippedKeys(this.#entries, removed, this.#oldest);
  }

  /** Adds keys in order; evicts the oldest beyond `limit`. */
  withAdded(keys: Iterable<SkippedKey>, limit = MAX_STORED_SKIPPED_KEYS): SkippedKeys {
    let next: Map<string, SkippedKey> | undefined;
    for (const k of keys) {
      next ??= this.#live();
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
    for (const [key, e] of this.#entries)
      if (now - e.storedAt < maxAge && !this.#removed.has(key)) next.set(key, e);
    return SkippedKeys.#from(next);
  }

  /** In storage order (oldest first). */
  *values(): IterableIterator<SkippedKey> {
    for (const [key, e] of this.#entries) if (!this.#removed.has(key)) yield e;
  }

  /** A fresh map of the keys in this store, in order. */
  #live(): Map<string, SkippedKey> {
    if (this.#removed.size === 0) return new Map(this.#entries);
    const live = new Map<string, SkippedKey>();
    for (const [key, e] of this.#entries) if (!this.#removed.has(key)) live.set(key, e);
    return live;
  }
}
