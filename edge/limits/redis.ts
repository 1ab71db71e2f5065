/**
 * Rate limiting in a shared store, for several relay instances: the same
 * token bucket as MemoryRateLimiter, kept in Redis and updated atomically by
 * one Lua script (clock from Redis TIME, so instance clocks do not matter).
 * Works with any client that can run EVAL: a TCP client (ioredis, REDIS_URL)
 * or Upstash's REST client (UPSTASH_REDIS_REST_*), through `RedisScripting`.
 *
 * If the store is unreachable the limiter fails open (allows) and reports it:
 * an outage of the limiter must not become an outage of messaging.
 */
import type { RateDecision, RateLimiter } from './rate-limiter.ts';

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
}

export class RedisRateLimiter implements RateLimiter {
  readonly #redis: RedisScripting;
  readonly #options: RedisLimiterOptions;

  constructor(redis: RedisScripting, options: RedisLimiterOptions) {
    this.#redis = redis;
    this.#options = options;
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
      return { allowed: true, retryAfterSeconds: 0, remaining: 0 };
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
 * `ttlMs` wins. Fails open (logged) when the store is unreachable, like the
 * limiter: request signatures are still verified and time-bound.
 */
export class RedisReplayGuard {
  readonly #redis: RedisScripting;
  readonly #ttlMs: number;
  readonly #onError: (error: unknown) => void;

  constructor(redis: RedisScripting, ttlMs: number, onError: (error: unknown) => void = () => {}) {
    this.#redis = redis;
    this.#ttlMs = ttlMs;
    this.#onError = onError;
  }

  async claim(key: string): Promise<boolean> {
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
