/**
 * Remembers accepted device-request signatures for as long as their
 * timestamps are acceptable, so a captured request cannot be replayed within
 * the skew window. In memory by default; with Redis configured the claim is
 * one `SET NX PX` shared by every instance (redis-replay-cache.ts).
 */
export interface ReplayGuard {
  /** True if `key` is new (and now remembered); false if it was seen within the TTL. */
  claim(key: string, now: number): boolean | Promise<boolean>;
}

export class ReplayCache implements ReplayGuard {
  readonly #seen = new Map<string, number>();
  readonly #ttlMs: number;
  readonly #max: number;

  constructor(ttlMs: number, max = 200_000) {
    this.#ttlMs = ttlMs;
    this.#max = max;
  }

  /** True if `key` is new (and now remembered); false if it was seen within the TTL. */
  claim(key: string, now: number): boolean {
    const expiry = this.#seen.get(key);
    if (expiry !== undefined && expiry > now) return false;
    if (this.#seen.size >= this.#max) this.prune(now);
    this.#seen.set(key, now + this.#ttlMs);
    return true;
  }

  prune(now: number): void {
    for (const [key, expiry] of this.#seen) if (expiry <= now) this.#seen.delete(key);
    // Still full of live entries: drop the oldest (Map keeps insertion order).
    let excess = this.#seen.size - Math.floor(this.#max * 0.9);
    for (const key of this.#seen.keys()) {
      if (excess-- <= 0) break;
      this.#seen.delete(key);
    }
  }
}
