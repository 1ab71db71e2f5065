/**
 * Paging over keys kept in order, for the RecordStore implementations
 * (store.ts). A paged walk calls `list` once per page; re-reading and
 * re-sorting every key under the prefix on each call made a walk over N keys
 * cost N²/page work (docs/client.md, "Backups"). Here the order is kept
 * between calls and a page is found by binary search, so a page costs
 * O(log N + page) and a write costs O(1) until the next `list`, which merges
 * the keys added since (sorted on their own) into the kept order in O(N).
 *
 * Order is plain string comparison (UTF-16 code units), the same order as
 * `Array.prototype.sort()` without a comparator and as `<` on strings.
 */

/** The paging options of `RecordStore.list` (store.ts), restated so this module imports nothing. */
export interface PageOptions {
  readonly after?: string;
  readonly limit?: number;
  readonly reverse?: boolean;
}

/** First index in [lo, hi) whose key fails `before` (which must hold for a prefix of the range). */
function searchFirst<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  lo: number,
  hi: number,
  before: (key: string) => boolean,
): number {
  let a = lo;
  let b = hi;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if (before(keyOf(items[mid] as T))) a = mid + 1;
    else b = mid;
  }
  return a;
}

/** How many of `available` items `limit` keeps, as `Array.prototype.slice(0, limit)` would. */
function countFor(available: number, limit: number | undefined): number {
  if (limit === undefined) return available;
  const l = Math.trunc(limit);
  if (Number.isNaN(l)) return 0;
  return l < 0 ? Math.max(0, available + l) : Math.min(l, available);
}

/**
 * The page `list(prefix, options)` returns from `items`, which are in
 * ascending order of `keyOf`: the items whose key starts with `prefix`, after
 * (or, with `reverse`, before) `options.after`, at most `options.limit`, in
 * ascending (or descending) order. A new array; the items are not copied.
 */
export function pageOf<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  prefix: string,
  options: PageOptions = {},
): T[] {
  // Keys that start with `prefix` are one run, right at the first key >= prefix.
  const lo = searchFirst(items, keyOf, 0, items.length, (k) => k < prefix);
  const hi = searchFirst(items, keyOf, lo, items.length, (k) => k.startsWith(prefix));
  const { after, limit, reverse } = options;
  if (reverse) {
    const end = after === undefined ? hi : searchFirst(items, keyOf, lo, hi, (k) => k < after);
    const count = countFor(end - lo, limit);
    return items.slice(end - count, end).reverse();
  }
  const start = after === undefined ? lo : searchFirst(items, keyOf, lo, hi, (k) => k <= after);
  return items.slice(start, start + countFor(hi - start, limit));
}

/**
 * The keys of a map-backed store, kept sorted across calls. The store tells
 * it when a key appears (`add`, only for a key not already present) and
 * disappears (`remove`, only for a present key); overwriting a present key
 * changes nothing here.
 */
export class SortedKeyIndex {
  #sorted: string[] = [];
  /** Present keys not yet in #sorted. */
  readonly #added = new Set<string>();
  /** Keys in #sorted that are no longer present. */
  readonly #removed = new Set<string>();

  add(key: string): void {
    if (!this.#removed.delete(key)) this.#added.add(key);
  }

  remove(key: string): void {
    if (!this.#added.delete(key)) this.#removed.add(key);
  }

  /** The keys `list(prefix, options)` returns, in its order. */
  page(prefix: string, options?: PageOptions): string[] {
    return pageOf(this.#current(), (k) => k, prefix, options);
  }

  #current(): readonly string[] {
    if (this.#added.size === 0 && this.#removed.size === 0) return this.#sorted;
    const added = [...this.#added].sort();
    const removed = this.#removed;
    const old = this.#sorted;
    const merged: string[] = [];
    let i = 0;
    let j = 0;
    while (i < old.length || j < added.length) {
      const o = old[i];
      const a = added[j];
      if (a === undefined || (o !== undefined && o < a)) {
        if (!removed.has(o as string)) merged.push(o as string);
        i++;
      } else {
        merged.push(a);
        j++;
      }
    }
    this.#sorted = merged;
    this.#added.clear();
    this.#removed.clear();
    return merged;
  }
}
