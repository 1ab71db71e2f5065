/**
 * Rate limiting in a shared store, for several relay instances: the same
 * token bucket as MemoryRateLimiter, kept in Redis and updated atomically by
 * one Lua script (clock from Redis TIME, so instance clocks do not matter).
 * Works with any client that can run EVAL: a TCP client (ioredis, REDIS_URL)
 * or Upstash's REST client (UPSTASH_REDIS_REST_*), through `RedisScripting`.
 *
 * If the store is unreachable the limiter falls back to a bucket of the same
 * size in this instance's memory (and reports it): an outage of the store
 * must neither become an outage of messaging nor switch the limits off (an
 * attacker who can slow Redis down would otherwise get unlimited sends).
 * While it lasts, each instance enforces the limit on its own.
 */
import { ReplayCache } from '../auth/replay-cache.ts';
import {
  type ChargeDecision,
  chargeEach,
  MemoryRateLimiter,
  type RateCharge,
  type RateDecision,
  type RateLimiter,
} from './rate-limiter.ts';

export interface RedisScripting {
  eval(script: string, keys: readonly string[], args: readonly string[]): Promise<unknown>;
}

// Token buckets charged in order, atomically. KEYS[i] is bucket i; ARGV[3i-2], ARGV[3i-1] and
// ARGV[3i] its limit, window (ms) and cost. Stops at the first bucket short of its cost, which is
// left uncharged (the ones before it stay charged). Returns {1, 0, remaining, 0} when every
// bucket was charged, else {0, retryMs, 0, index of the refusing bucket}. One TIME for all.
const TOKEN_BUCKETS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local remaining = 0
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[3 * i - 2])
  local window = tonumber(ARGV[3 * i - 1])
  local cost = tonumber(ARGV[3 * i])
  local rate = limit / window
  local state = redis.call('HMGET', key, 'tokens', 'ts')
  local tokens = tonumber(state[1])
  local ts = tonumber(state[2])
  if tokens == nil or ts == nil then
    tokens = limit
    ts = now
  end
  tokens = math.min(limit, tokens + math.max(0, now - ts) * rate)
  local allowed = tokens >= cost
  if allowed then tokens = tokens - cost end
  redis.call('HSET', key, 'tokens', tostring(tokens), 'ts', tostring(now))
  redis.call('PEXPIRE', key, window)
  if not allowed then return {0, math.ceil((cost - tokens) / rate), 0, i} end
  remaining = math.floor(tokens)
end
return {1, 0, remaining, 0}
`;

export interface RedisLimiterOptions {
  readonly limit: number;
  readonly windowSeconds: number;
  /** Key namespace, e.g. "parley:rl:frames". */
  readonly prefix: string;
  readonly onError?: (error: unknown) => void;
  /** The local clock of the per-instance fallback bucket and of the refusal cache. */
  readonly now?: () => number;
  /** Bound on remembered refusals (the oldest are dropped first). */
  readonly maxRefusals?: number;
}

/** A refusal the store answered: `cost` or more is refused again until `until` (local clock). */
interface Refusal {
  readonly until: number;
  readonly cost: number;
}

/**
 * Margin taken off a remembered refusal: the store rounds its wait up to a whole millisecond
 * and reads its clock in whole milliseconds, so the local copy ends up to 2 ms early rather
 * than ever late.
 */
const REFUSAL_MARGIN_MS = 2;

const ALLOWED_BY_ALL: ChargeDecision = Object.freeze({
  allowed: true,
  retryAfterSeconds: 0,
  remaining: 0,
  refusedAt: -1,
});

export class RedisRateLimiter implements RateLimiter {
  readonly #redis: RedisScripting;
  readonly #options: RedisLimiterOptions;
  readonly #fallback: MemoryRateLimiter;
  readonly #now: () => number;
  /**
   * Refusals remembered until the bucket can have refilled (what @upstash/ratelimit's
   * ephemeral cache does): a client hammering a limit it has hit costs no store command per
   * attempt. Sound because a bucket only gains tokens by refilling at its rate: other
   * instances can take tokens, never add them, so the store would refuse too.
   */
  readonly #refusals = new Map<string, Refusal>();
  readonly #maxRefusals: number;

  constructor(redis: RedisScripting, options: RedisLimiterOptions) {
    this.#redis = redis;
    this.#options = options;
    this.#now = options.now ?? (() => Date.now());
    this.#fallback = new MemoryRateLimiter(options, this.#now);
    this.#maxRefusals = options.maxRefusals ?? 10_000;
  }

  async consume(key: string, cost = 1): Promise<RateDecision> {
    const { refusedAt: _, ...decision } = await RedisRateLimiter.chargeInOrder([
      { limiter: this, key, cost },
    ]);
    return decision;
  }

  /**
   * ChargeInOrder for limiters of one store: one EVAL of TOKEN_BUCKETS for the whole list
   * (Upstash bills each EVAL and each command the script runs; one TIME is shared). A
   * remembered refusal cuts the list short: only the charges before it are sent, and none at
   * all when the first is refused. Lists that mix in other limiters are charged one by one.
   */
  static chargeInOrder(charges: readonly RateCharge[]): Promise<ChargeDecision> {
    const first = charges[0]?.limiter;
    const limiters: RedisRateLimiter[] = [];
    for (const { limiter } of charges) {
      if (!(limiter instanceof RedisRateLimiter) || !(first instanceof RedisRateLimiter))
        return Promise.resolve(chargeEach(charges));
      if (limiter.#redis !== first.#redis) return Promise.resolve(chargeEach(charges));
      limiters.push(limiter);
    }
    for (let i = 0; i < charges.length; i++) {
      const { key, cost = 1 } = charges[i] as RateCharge;
      const known = (limiters[i] as RedisRateLimiter).#refused(key, cost);
      if (known === undefined) continue;
      const refused = { ...known, refusedAt: i };
      if (i === 0) return Promise.resolve(refused);
      return RedisRateLimiter.#evaluate(charges.slice(0, i), limiters, refused);
    }
    if (charges.length === 0) return Promise.resolve(ALLOWED_BY_ALL);
    return RedisRateLimiter.#evaluate(charges, limiters, undefined);
  }

  static async #evaluate(
    charges: readonly RateCharge[],
    limiters: readonly RedisRateLimiter[],
    refusedAfter: ChargeDecision | undefined,
  ): Promise<ChargeDecision> {
    const first = limiters[0] as RedisRateLimiter;
    const startedAt = first.#now();
    const keys: string[] = [];
    const args: string[] = [];
    charges.forEach(({ key, cost = 1 }, i) => {
      const { limit, windowSeconds, prefix } = (limiters[i] as RedisRateLimiter).#options;
      keys.push(`${prefix}:${key}`);
      args.push(String(limit), String(windowSeconds * 1000), String(cost));
    });
    let result: unknown;
    try {
      result = await first.#redis.eval(TOKEN_BUCKETS, keys, args);
    } catch (error) {
      return RedisRateLimiter.#fallbackInOrder(charges, limiters, error);
    }
    const [allowed, retryMs, remaining, index] = (Array.isArray(result) ? result : []).map(Number);
    if (allowed === 1) return refusedAfter ?? { ...ALLOWED_BY_ALL, remaining: remaining ?? 0 };
    const at = Math.max(0, (index ?? 1) - 1);
    const wait = retryMs ?? 1000;
    const refusing = limiters[at] as RedisRateLimiter;
    const { key, cost = 1 } = charges[at] as RateCharge;
    refusing.#remember(key, cost, startedAt + wait - REFUSAL_MARGIN_MS);
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil(wait / 1000)),
      remaining: 0,
      refusedAt: at,
    };
  }

  /** The store is unreachable: each limiter's per-instance bucket, in the same order. */
  static #fallbackInOrder(
    charges: readonly RateCharge[],
    limiters: readonly RedisRateLimiter[],
    error: unknown,
  ): ChargeDecision {
    for (const limiter of new Set(limiters)) limiter.#options.onError?.(error);
    for (let i = 0; i < charges.length; i++) {
      const { key, cost } = charges[i] as RateCharge;
      const decision = (limiters[i] as RedisRateLimiter).#fallback.consume(key, cost);
      if (!decision.allowed) return { ...decision, refusedAt: i };
    }
    return ALLOWED_BY_ALL;
  }

  #refused(key: string, cost: number): RateDecision | undefined {
    const refusal = this.#refusals.get(key);
    if (refusal === undefined) return undefined;
    const left = refusal.until - this.#now();
    if (left <= 0) {
      this.#refusals.delete(key);
      return undefined;
    }
    if (cost < refusal.cost) return undefined;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(left / 1000)), remaining: 0 };
  }

  #remember(key: string, cost: number, until: number): void {
    if (until <= this.#now()) return;
    this.#refusals.delete(key);
    if (this.#refusals.size >= this.#maxRefusals) {
      const oldest = this.#refusals.keys().next();
      if (oldest.done !== true) this.#refusals.delete(oldest.value);
    }
    this.#refusals.set(key, { until, cost });
  }
}

/** Adapts ioredis (`eval(script, numKeys, ...keys, ...args)`). */
export function fromIoredis(client: {
  eval(script: string, numKeys: number, ...args: string[]): Promise<unknown>;
}): RedisScripting {
  return { eval: (script, keys, args) => client.eval(script, keys.length, ...keys, ...args) };
}

/** Adapts @upstash/redis (`eval(script, keys, args)`). */
export function fromUpstash(client: {
  eval(script: string, keys: string[], args: string[]): Promise<unknown>;
}): RedisScripting {
  return { eval: (script, keys, args) => client.eval(script, [...keys], [...args]) };
}

const CLAIM = `return redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) and 1 or 0`;

/**
 * A replay guard shared by every instance: the first claim of a key within
 * `ttlMs` wins. Every claim is also remembered in this instance's memory, so
 * while the store is unreachable (logged) a request is still accepted at most
 * once per instance instead of any number of times (it used to fail open).
 */
export class RedisReplayGuard {
  readonly #redis: RedisScripting;
  readonly #ttlMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #local: ReplayCache;

  constructor(redis: RedisScripting, ttlMs: number, onError: (error: unknown) => void = () => {}) {
    this.#redis = redis;
    this.#ttlMs = ttlMs;
    this.#onError = onError;
    this.#local = new ReplayCache(ttlMs);
  }

  async claim(key: string, now: number = Date.now()): Promise<boolean> {
    // Local first: a replay to this instance is refused even when the store is down.
    if (!this.#local.claim(key, now)) return false;
    try {
      return (
        Number(await this.#redis.eval(CLAIM, [`parley:replay:${key}`], [String(this.#ttlMs)])) === 1
      );
    } catch (error) {
      this.#onError(error);
      return true;
    }
  }
}
