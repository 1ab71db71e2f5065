/**
 * Chooses where rate-limit buckets live: in memory (default), in Redis over
 * TCP (REDIS_URL) or in Upstash over REST (UPSTASH_REDIS_REST_URL/TOKEN).
 * The Redis clients are imported only when configured, so a relay without
 * them loads neither.
 */

import { ReplayCache, type ReplayGuard } from '../auth/replay-cache.ts';
import type { RateLimit, RelayConfig } from '../config.ts';
import type { Logger } from '../observability/log.ts';
import {
  type ChargeInOrder,
  chargeEach,
  MemoryRateLimiter,
  type RateLimiter,
} from './rate-limiter.ts';
import {
  fromIoredis,
  fromUpstash,
  RedisRateLimiter,
  RedisReplayGuard,
  type RedisScripting,
} from './redis.ts';

export interface LimiterStore {
  readonly kind: 'memory' | 'redis' | 'upstash';
  create(name: string, limit: RateLimit): RateLimiter;
  /** Charges limiters made by `create` in order, in one store command when shared. */
  readonly chargeInOrder: ChargeInOrder;
  /** Guard against replayed device-signed requests, shared like the buckets. */
  replayGuard(ttlMs: number): ReplayGuard;
  close(): Promise<void>;
}

export async function openLimiterStore(
  config: RelayConfig,
  log: Logger,
  now: () => number,
): Promise<LimiterStore> {
  let scripting: RedisScripting | undefined;
  let close = async () => {};
  let kind: LimiterStore['kind'] = 'memory';
  if (config.redisUrl !== undefined) {
    const { Redis } = await import('ioredis');
    const client = new Redis(config.redisUrl, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: true,
    });
    client.on('error', (error: Error) => log.warn('limits.redis_error', { error: error.name }));
    scripting = fromIoredis(client);
    close = async () => {
      client.disconnect();
    };
    kind = 'redis';
  } else if (config.upstashRestUrl !== undefined && config.upstashRestToken !== undefined) {
    const { Redis } = await import('@upstash/redis');
    scripting = fromUpstash(
      new Redis({ url: config.upstashRestUrl, token: config.upstashRestToken }),
    );
    kind = 'upstash';
  }
  const shared = scripting;
  return {
    kind,
    chargeInOrder: shared === undefined ? chargeEach : RedisRateLimiter.chargeInOrder,
    create(name, limit) {
      if (shared === undefined) return new MemoryRateLimiter(limit, now);
      return new RedisRateLimiter(shared, {
        ...limit,
        prefix: `parley:rl:${name}`,
        now,
        onError: (error) =>
          log.warn('limits.store_unavailable', {
            limiter: name,
            error: error instanceof Error ? error.name : 'unknown',
          }),
      });
    },
    replayGuard(ttlMs) {
      if (shared === undefined) return new ReplayCache(ttlMs);
      return new RedisReplayGuard(shared, ttlMs, (error) =>
        log.warn('replay.store_unavailable', {
          error: error instanceof Error ? error.name : 'unknown',
        }),
      );
    },
    close,
  };
}
