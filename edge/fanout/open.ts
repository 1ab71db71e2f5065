/**
 * Chooses the fan-out from the configuration: in process by default,
 * Redis over TCP with REDIS_URL, Upstash over REST with
 * UPSTASH_REDIS_REST_URL + UPSTASH_REDIS_REST_TOKEN (REDIS_URL wins when both
 * are set, as for the rate limits). The Redis clients are imported only when
 * configured.
 */
import type { RelayConfig } from '../config.ts';
import type { Logger } from '../observability/log.ts';
import type { Fanout } from './fanout.ts';
import { MemoryFanout } from './memory.ts';
import type { RedisLink } from './redis-link.ts';
import { SharedFanout } from './shared.ts';

export interface OpenedFanout {
  readonly fanout: Fanout;
  readonly kind: 'memory' | 'redis' | 'upstash';
}

export async function openFanout(config: RelayConfig, log: Logger): Promise<OpenedFanout> {
  const onListenerError = (error: unknown) =>
    log.error('fanout.listener_failed', {
      error: error instanceof Error ? error.name : 'unknown',
    });
  let link: RedisLink | undefined;
  if (config.redisUrl !== undefined) {
    const { openIoredisLink } = await import('./ioredis-link.ts');
    link = await openIoredisLink(config.redisUrl);
  } else if (config.upstashRestUrl !== undefined && config.upstashRestToken !== undefined) {
    const { openUpstashLink } = await import('./upstash-link.ts');
    link = await openUpstashLink(config.upstashRestUrl, config.upstashRestToken);
  }
  if (link === undefined) return { fanout: new MemoryFanout(onListenerError), kind: 'memory' };
  const fanout = await SharedFanout.open({
    link,
    instanceId: config.instanceId,
    log,
    pollMs: config.fanoutPollSeconds * 1000,
    onListenerError,
  });
  return { fanout, kind: link.kind };
}
