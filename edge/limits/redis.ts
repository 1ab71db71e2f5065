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
import { MemoryRateLimiter, type RateDecision, type RateLimiter } from './rate-limiter.ts';

export interface RedisScripting {
  eval(script: string, keys: readonly string[], args: readonly string[]): Promise<unknown>;
}

// KEYS[1] bucket; ARGV: limit, windowMs, cost. Returns {allowed, retryAfterMs, remaining}.
const TOKEN_BUCKET = `
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = limit / window
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = limit
  ts = now
end
tokens = math.min(limit, tokens + math.max(0, now - ts) * rate)
local allowed = 0
local retry = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  retry = math.ceil((cost - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], window)
return {allowed, retry, math.floor(tokens)}
`;

export interface RedisLimiterOptions {
  readonly limit: number;
  readonly windowSeconds: number;
  /** Key namespace, e.g. "parley:rl:frames". */
  readonly prefix: string;
  readonly onError?: (error: unknown) => void;
  /** The local clock of the per-instance fallback bucket. */
  readonly now?: () => number;
}

export class RedisRateLimiter implements RateLimiter {
  readonly #redis: RedisScripting;
  readonly #options: RedisLimiterOptions;
  readonly #fallback: MemoryRateLimiter;

  constructor(redis: RedisScripting, options: RedisLimiterOptions) {
    this.#redis = redis;
    this.#options = options;
    this.#fallback = new MemoryRateLimiter(options, options.now ?? (() => Date.now()));
  }

  async consume(key: string, cost = 1): Promise<RateDecision> {
    const { limit, windowSeconds, prefix } = this.#options;
    try {
      const result = await this.#redis.eval(
        TOKEN_BUCKET,
        [`${prefix}:${key}`],
        [String(limit), String(windowSeconds * 1000), String(cost)],
      );
      const [allowed, retryMs, remaining] = (Array.isArray(result) ? result : []).map(Number);
      if (allowed === 1) return { allowed: true, retryAfterSeconds: 0, remaining: remaining ?? 0 };
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil((retryMs ?? 1000) / 1000)),
        remaining: 0,
      };
    } catch (error) {
      this.#options.onError?.(error);
      return this.#fallback.consume(key, cost);
    }
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
