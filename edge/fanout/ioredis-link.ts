/**
 * RedisLink over TCP with ioredis (runs under Deno's Node compatibility):
 * one connection for commands (auto-pipelined), one in subscriber mode.
 * ioredis reconnects and resubscribes by itself; every `ready` after the
 * first is reported so the fan-out can re-read queues it may have missed.
 */
import type { RedisLink, RedisSubscription, SubscribeHandlers } from './redis-link.ts';

export async function openIoredisLink(url: string): Promise<RedisLink> {
  const { Redis } = await import('ioredis');
  const options = { maxRetriesPerRequest: 2, enableAutoPipelining: true, lazyConnect: false };
  const commands = new Redis(url, options);
  // Errors surface through rejected commands; the event only stops ioredis logging them itself.
  commands.on('error', () => {});
  const subscribers = new Set<InstanceType<typeof Redis>>();
  return {
    kind: 'redis',
    eval: (script, keys, args) => commands.eval(script, keys.length, ...keys, ...args),
    publish: async (channel, message) => {
      await commands.publish(channel, message);
    },
    async subscribe(channels, handlers: SubscribeHandlers): Promise<RedisSubscription> {
      const subscriber = new Redis(url, { ...options, maxRetriesPerRequest: null });
      subscribers.add(subscriber);
      subscriber.on('error', (error: unknown) => handlers.error(error));
      subscriber.on('message', (channel: string, message: string) =>
        handlers.message(channel, message),
      );
      let first = true;
      subscriber.on('ready', () => {
        // The first `ready` precedes our own subscribe call; later ones follow a reconnect.
        if (first) first = false;
        else handlers.ready();
      });
      await subscriber.subscribe(...channels);
      handlers.ready();
      return {
        close: async () => {
          subscribers.delete(subscriber);
          subscriber.disconnect();
        },
      };
    },
    async close() {
      for (const s of subscribers) s.disconnect();
      subscribers.clear();
      commands.disconnect();
    },
  };
}
