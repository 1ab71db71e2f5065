/**
 * RedisLink over Upstash's REST API with @upstash/redis: commands are HTTPS
 * requests, and `subscribe` is a long-lived server-sent-events response per
 * channel. SSE payloads are text, so the fan-out's messages are JSON text
 * and any binary inside them is base64 (see wire.ts). Automatic
 * deserialization is off: values and messages come back exactly as written.
 *
 * A stream that ends quietly is not reported by the client; the fan-out's
 * heartbeat notices the silence and subscribes again.
 */
import type { RedisLink, RedisSubscription, SubscribeHandlers } from './redis-link.ts';

export async function openUpstashLink(url: string, token: string): Promise<RedisLink> {
  const { Redis } = await import('@upstash/redis');
  const client = new Redis({
    url,
    token,
    automaticDeserialization: false,
    retry: { retries: 2, backoff: (n: number) => 50 * 2 ** n },
    enableTelemetry: false,
  });
  const open = new Set<{ unsubscribe(): Promise<void> }>();
  return {
    kind: 'upstash',
    eval: (script, keys, args) => client.eval(script, [...keys], [...args]),
    publish: async (channel, message) => {
      await client.publish(channel, message);
    },
    async subscribe(channels, handlers: SubscribeHandlers): Promise<RedisSubscription> {
      const subscriber = client.subscribe<string>([...channels]);
      open.add(subscriber);
      let confirmed = 0;
      subscriber.on('subscribe', () => {
        if (++confirmed === channels.length) handlers.ready();
      });
      subscriber.on('message', (event: { channel: string; message: unknown }) =>
        handlers.message(event.channel, String(event.message)),
      );
      subscriber.on('error', (error: unknown) => handlers.error(error));
      return {
        close: async () => {
          open.delete(subscriber);
          await subscriber.unsubscribe();
        },
      };
    },
    async close() {
      for (const s of open) await s.unsubscribe();
      open.clear();
    },
  };
}
