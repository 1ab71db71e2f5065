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

/** One charge against one limiter: `cost` tokens (default 1) of `key`'s bucket. */
export interface RateCharge {
  readonly limiter: RateLimiter;
  readonly key: string;
  readonly cost?: number;
}

export interface ChargeDecision extends RateDecision {
  /** Index of the charge that was refused (nothing after it was charged); -1 when all were. */
  readonly refusedAt: number;
}

/**
 * Charges several limiters in order and stops at the first refusal: the
 * charges before it stay taken, the refused one and the rest are not touched
 * (exactly what consuming them one after another would do). A shared store
 * does it in one atomic script (redis.ts), so a send frame costs one
 * command for all its limits instead of one per limit.
 */
export type ChargeInOrder = (
  charges: readonly RateCharge[],
) => ChargeDecision | Promise<ChargeDecision>;

const ALL_TAKEN: ChargeDecision = Object.freeze({
  allowed: true,
  retryAfterSeconds: 0,
  remaining: 0,
  refusedAt: -1,
});

/** ChargeInOrder one limiter after another (in-memory limiters answer synchronously). */
export function chargeEach(
  charges: readonly RateCharge[],
): ChargeDecision | Promise<ChargeDecision> {
  for (let i = 0; i < charges.length; i++) {
    const { limiter, key, cost } = charges[i] as RateCharge;
    const decision = limiter.consume(key, cost);
    if (decision instanceof Promise) return finishEach(charges, i, decision);
    if (!decision.allowed) return { ...decision, refusedAt: i };
  }
  return ALL_TAKEN;
}

async function finishEach(
  charges: readonly RateCharge[],
  from: number,
  pending: Promise<RateDecision>,
): Promise<ChargeDecision> {
  const first = await pending;
  if (!first.allowed) return { ...first, refusedAt: from };
  for (let i = from + 1; i < charges.length; i++) {
    const { limiter, key, cost } = charges[i] as RateCharge;
    const decision = await limiter.consume(key, cost);
    if (!decision.allowed) return { ...decision, refusedAt: i };
  }
  return ALL_TAKEN;
}
