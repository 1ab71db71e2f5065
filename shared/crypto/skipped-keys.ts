/**
 * Message keys kept for messages that have not arrived yet (out-of-order
 * delivery), as an immutable value: every change returns a new store and leaves
 * the old one intact, which is what makes decryption transactional. One store
 * serves pairwise sessions (keys named by ratchet key and index) and Sender Key
 * chains (keys named by iteration), so both age and evict keys the same way.
 *
 * Bounds (DESIGN §3, limits.ts): at most MAX_STORED_SKIPPED_KEYS per store,
 * oldest evicted first; a key stored at `t` is expired from
 * `t + SKIPPED_KEY_MAX_AGE_MS` on (`isExpired`). Insertion order is age order,
 * so eviction takes from the front of the map.
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

/** What every stored key has; the other fields name it (its slot). */
export interface StoredMessageKey {
  readonly messageKey: Bytes;
  /** When it was stored (ms, from the caller's clock). */
  readonly storedAt: number;
}

/** The fields that name a stored key, without the key itself. */
export type SlotOf<K extends StoredMessageKey> = Omit<K, keyof StoredMessageKey>;

/** The one expiry rule: a key exactly `maxAge` old is expired. */
export function isExpired(
  key: StoredMessageKey,
  now: number,
  maxAge = SKIPPED_KEY_MAX_AGE_MS,
): boolean {
  return now - key.storedAt >= maxAge;
}

/** A skipped key of a pairwise session. */
export interface SkippedKey extends StoredMessageKey {
  /** The sender's ratchet public key of the chain this key belongs to. */
  readonly ratchetKey: Bytes;
  readonly index: number;
}

/** Removed slots tolerated beside the map before it is rebuilt without them. */
const REMOVED_BEFORE_COMPACTION = 32;
const NONE_REMOVED: ReadonlySet<string> = new Set();

export class SkippedKeyStore<K extends StoredMessageKey> {
  /** An empty store whose keys are named by `slotOf` (equal slots are the same key). */
  static empty<K extends StoredMessageKey>(
    slotOf: (slot: SlotOf<K>) => string,
  ): SkippedKeyStore<K> {
    return new SkippedKeyStore<K>(
      slotOf,
      undefined,
      new Map(),
      NONE_REMOVED,
      Number.POSITIVE_INFINITY,
    );
  }

  readonly #slotOf: (slot: SlotOf<K>) => string;
  /** The empty store of this kind (this one if it is empty). */
  readonly #empty: SkippedKeyStore<K>;
  /** Never changed once built (other stores may share it). */
  readonly #entries: ReadonlyMap<string, K>;
  /** Slots of #entries that are no longer in this store. */
  readonly #removed: ReadonlySet<string>;
  /** Earliest storedAt (of #entries), so an expiry check costs O(1) when nothing has expired. */
  readonly #oldest: number;

  private constructor(
    slotOf: (slot: SlotOf<K>) => string,
    empty: SkippedKeyStore<K> | undefined,
    entries: ReadonlyMap<string, K>,
    removed: ReadonlySet<string>,
    oldest: number,
  ) {
    this.#slotOf = slotOf;
    this.#empty = empty ?? this;
    this.#entries = entries;
    this.#removed = removed;
    this.#oldest = oldest;
  }

  #from(entries: Map<string, K>): SkippedKeyStore<K> {
    if (entries.size === 0) return this.#empty;
    let oldest = Number.POSITIVE_INFINITY;
    for (const e of entries.values()) if (e.storedAt < oldest) oldest = e.storedAt;
    return new SkippedKeyStore(this.#slotOf, this.#empty, entries, NONE_REMOVED, oldest);
  }

  /** A store of this kind holding `keys` (state restore), applying the same bound. */
  of(keys: Iterable<K>, limit = MAX_STORED_SKIPPED_KEYS): SkippedKeyStore<K> {
    return this.#empty.withAdded(keys, limit);
  }

  get size(): number {
    return this.#entries.size - this.#removed.size;
  }

  get(slot: SlotOf<K>): K | undefined {
    if (this.size === 0) return undefined;
    const key = this.#slotOf(slot);
    return this.#removed.has(key) ? undefined : this.#entries.get(key);
  }

  without(slot: SlotOf<K>): SkippedKeyStore<K> {
    const key = this.#slotOf(slot);
    if (!this.#entries.has(key) || this.#removed.has(key)) return this;
    if (this.#removed.size + 1 >= REMOVED_BEFORE_COMPACTION) {
      const next = this.#live();
      next.delete(key);
      return this.#from(next);
    }
    const removed = new Set(this.#removed);
    removed.add(key);
    return removed.size === this.#entries.size
      ? this.#empty
      : new SkippedKeyStore(this.#slotOf, this.#empty, this.#entries, removed, this.#oldest);
  }

  /** Adds keys in order; evicts the oldest beyond `limit`. */
  withAdded(keys: Iterable<K>, limit = MAX_STORED_SKIPPED_KEYS): SkippedKeyStore<K> {
    let next: Map<string, K> | undefined;
    for (const k of keys) {
      next ??= this.#live();
      const key = this.#slotOf(k);
      next.delete(key); // re-adding moves it to the back (it is the newest now)
      next.set(key, k);
    }
    if (next === undefined) return this;
    for (const key of next.keys()) {
      if (next.size <= limit) break;
      next.delete(key);
    }
    return this.#from(next);
  }

  /** Drops keys stored at least `maxAge` ago (`isExpired`); returns this store if none are. */
  withoutExpired(now: number, maxAge = SKIPPED_KEY_MAX_AGE_MS): SkippedKeyStore<K> {
    if (now - this.#oldest < maxAge) return this;
    const next = new Map<string, K>();
    for (const [key, e] of this.#entries)
      if (!isExpired(e, now, maxAge) && !this.#removed.has(key)) next.set(key, e);
    return this.#from(next);
  }

  /** In storage order (oldest first). */
  *values(): IterableIterator<K> {
    for (const [key, e] of this.#entries) if (!this.#removed.has(key)) yield e;
  }

  /** A fresh map of the keys in this store, in order. */
  #live(): Map<string, K> {
    if (this.#removed.size === 0) return new Map(this.#entries);
    const live = new Map<string, K>();
    for (const [key, e] of this.#entries) if (!this.#removed.has(key)) live.set(key, e);
    return live;
  }
}

/** The skipped keys of a pairwise session. */
export type SkippedKeys = SkippedKeyStore<SkippedKey>;
const EMPTY_PAIRWISE = SkippedKeyStore.empty<SkippedKey>(
  (k) => `${toHex(k.ratchetKey)}:${k.index}`,
);
export const SkippedKeys = {
  EMPTY: EMPTY_PAIRWISE,
  of: (keys: Iterable<SkippedKey>, limit = MAX_STORED_SKIPPED_KEYS): SkippedKeys =>
    EMPTY_PAIRWISE.of(keys, limit),
} as const;
