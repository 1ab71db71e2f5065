/**
 * Active device ids per account, cached for the send path (every `send` is
 * checked against each recipient's device list).
 *
 * Correctness does not rest on the cache:
 *  - a device change on this instance invalidates the entry at once, and is
 *    broadcast to the other instances through the fan-out, which invalidate
 *    theirs;
 *  - a send the cached list would reject is re-checked against the database
 *    before anyone hears `mismatch`;
 *  - the queue insert itself refuses copies for devices that no longer exist;
 *  - entries expire after `ttlMs`, which bounds how long a lost invalidation
 *    can hide a newly added device from senders.
 * A generation counter per account stops a read that started before an
 * invalidation from refilling the entry with the old list.
 */

export interface DeviceListCacheOptions {
  readonly load: (accountId: string) => Promise<readonly number[]>;
  readonly now: () => number;
  readonly ttlMs?: number;
  readonly maxEntries?: number;
}

interface Entry {
  readonly ids: readonly number[];
  readonly at: number;
}

export class DeviceListCache {
  readonly #load: (accountId: string) => Promise<readonly number[]>;
  readonly #now: () => number;
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #entries = new Map<string, Entry>();
  readonly #generations = new Map<string, number>();
  #generation = 0;

  constructor(options: DeviceListCacheOptions) {
    this.#load = options.load;
    this.#now = options.now;
    this.#ttlMs = options.ttlMs ?? 10_000;
    this.#maxEntries = options.maxEntries ?? 100_000;
  }

  /** The cached list, or undefined when it must be loaded. */
  peek(accountId: string): readonly number[] | undefined {
    const entry = this.#entries.get(accountId);
    if (entry === undefined) return undefined;
    if (this.#now() - entry.at >= this.#ttlMs) {
      this.#entries.delete(accountId);
      return undefined;
    }
    return entry.ids;
  }

  async get(accountId: string): Promise<readonly number[]> {
    return this.peek(accountId) ?? (await this.refresh(accountId));
  }

  /** Reads the database (bypassing the cache) and remembers the answer. */
  async refresh(accountId: string): Promise<readonly number[]> {
    const generation = this.#generations.get(accountId) ?? 0;
    const ids = await this.#load(accountId);
    if ((this.#generations.get(accountId) ?? 0) === generation) {
      if (this.#entries.size >= this.#maxEntries) this.#evict();
      this.#entries.set(accountId, { ids, at: this.#now() });
    }
    return ids;
  }

  /** The account's devices changed (here or on another instance). */
  invalidate(accountId: string): void {
    this.#entries.delete(accountId);
    // A fresh global number, so a read that started earlier can never match it.
    this.#generations.set(accountId, ++this.#generation);
    if (this.#generations.size > this.#maxEntries) this.#generations.clear();
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Drops the oldest tenth (Map order is insertion order). */
  #evict(): void {
    let n = Math.max(1, Math.floor(this.#maxEntries / 10));
    for (const key of this.#entries.keys()) {
      if (n-- <= 0) break;
      this.#entries.delete(key);
    }
  }
}
