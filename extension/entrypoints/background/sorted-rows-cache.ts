/**
 * The IndexedDB record store's logical order, kept between `list` calls.
 *
 * Opaque stored keys have no order (record-keys.ts), so `list` reads every
 * stored key under a prefix, names them and sorts them by logical key. Done
 * on every call, a paged walk over N records (an export, a conversation's
 * history) cost N² / page (docs/client.md, "Backups"). This keeps the sorted
 * rows of the last few prefixes, each tagged with the records' write
 * generation it was read at: any write to the records object store bumps the
 * generation (`noteRecordsWritten` in idb-store.ts), which drops them all.
 * Only the background service worker writes records, through idb-store.ts.
 *
 * Runs in: the service worker (pure; no IndexedDB here).
 */

/** A record's logical key and the opaque key it is stored under. */
export type ListRow = readonly [logical: string, stored: string];

/** How many prefixes keep their order (a walk uses one; the views a few more). */
const MAX_PREFIXES = 8;

export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class SortedRowsCache {
  readonly #generation: () => number;
  /** Insertion order doubles as age: the oldest prefix is dropped first. */
  readonly #byPrefix = new Map<
    string,
    { readonly generation: number; readonly rows: readonly ListRow[] }
  >();

  /** `generation` is the records' write generation; it must change on every write. */
  constructor(generation: () => number) {
    this.#generation = generation;
  }

  /**
   * The rows under `prefix` in logical order: kept ones if no write happened
   * since they were read, else `load`ed (in any order) and sorted. Kept only
   * when no write happened while loading, so a load that raced a write is
   * used once and never again.
   */
  async rows(prefix: string, load: () => Promise<ListRow[]>): Promise<readonly ListRow[]> {
    const generation = this.#generation();
    const kept = this.#byPrefix.get(prefix);
    if (kept !== undefined && kept.generation === generation) return kept.rows;
    const rows = (await load()).sort(([a], [b]) => compareKeys(a, b));
    if (this.#generation() === generation) {
      this.#byPrefix.delete(prefix);
      this.#byPrefix.set(prefix, { generation, rows });
      const oldest = this.#byPrefix.keys().next();
      if (this.#byPrefix.size > MAX_PREFIXES && oldest.done !== true)
        this.#byPrefix.delete(oldest.value);
    }
    return rows;
  }

  /** Forgets every kept order (a new vault key names records differently). */
  clear(): void {
    this.#byPrefix.clear();
  }
}
