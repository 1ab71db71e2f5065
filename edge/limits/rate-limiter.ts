/**
 * Rate limiting behind one small interface, so the in-memory default and a
 * shared store (Upstash/Redis, docs/deploy.md "What several instances need") are interchangeable. The in-memory
 * limiter is a token bucket per key: `limit` tokens refilled evenly over
 * `windowSeconds`, so a client may burst up to `limit` and then sustain
 * limit/window per second. Denials report when one token will be back, which
 * becomes HTTP Retry-After and the socket's error frame detail.
 */

export interface RateDecision {
  readonly allowed: boolean;
  /** Whole seconds until the request would be allowed (0 when allowed). */
  readonly retryAfterSeconds: number;
  readonly remaining: number;
}

export interface RateLimiter {
  consume(key: string, cost?: number): RateDecision | Promise<RateDecision>;
}

export interface BucketOptions {
  readonly limit: number;
  readonly windowSeconds: number;
  /** Bound on tracked keys; the least recently refilled are dropped first. */
  readonly maxKeys?: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class MemoryRateLimiter implements RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #limit: number;
  readonly #perMs: number;
  readonly #maxKeys: number;
  readonly #now: () => number;

  constructor(options: BucketOptions, now: () => number) {
    if (options.limit <= 0 || options.windowSeconds <= 0)
      throw new RangeError('rate limit must be positive');
    this.#limit = options.limit;
    this.#perMs = options.limit / (options.windowSeconds * 1000);
    this.#maxKeys = options.maxKeys ?? 100_000;
    this.#now = now;
  }

  consume(key: string, cost = 1): RateDecision {
    const now = this.#now();
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.#maxKeys) this.#evict();
      bucket = { tokens: this.#limit, updatedAt: now };
    } else {
      this.#buckets.delete(key); // re-insert below keeps Map order = recency
      bucket.tokens = Math.min(this.#limit, bucket.tokens + (now - bucket.updatedAt) * this.#perMs);
      bucket.updatedAt = now;
    }
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;
      return { allowed: true, retryAfterSeconds: 0, remaining: Math.floor(bucket.tokens) };
    }
    const waitMs = (cost - bucket.tokens) / this.#perMs;
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
      remaining: 0,
    };
  }

  /** Drops the oldest tenth of the keys (a full bucket is the same as no bucket). */
  #evict(): void {
    let n = Math.max(1, Math.floor(this.#maxKeys / 10));
    for (const key of this.#buckets.keys()) {
      if (n-- <= 0) break;
      this.#buckets.delete(key);
    }
  }

  get size(): number {
    return this.#buckets.size;
  }
}
