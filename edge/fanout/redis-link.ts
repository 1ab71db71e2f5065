/**
 * The few Redis operations cross-instance fan-out needs, so the TCP client
 * (ioredis, REDIS_URL) and Upstash's REST client (UPSTASH_REDIS_REST_*) are
 * interchangeable. Every key operation is a Lua script (EVAL): both clients
 * run them, and each script is atomic on the server.
 */

export interface RedisSubscription {
  close(): Promise<void>;
}

export interface SubscribeHandlers {
  readonly message: (channel: string, message: string) => void;
  /** The subscription is (again) live: messages published meanwhile may have been missed. */
  readonly ready: () => void;
  readonly error: (error: unknown) => void;
}

export interface RedisLink {
  readonly kind: 'redis' | 'upstash';
  eval(script: string, keys: readonly string[], args: readonly string[]): Promise<unknown>;
  publish(channel: string, message: string): Promise<void>;
  subscribe(channels: readonly string[], handlers: SubscribeHandlers): Promise<RedisSubscription>;
  close(): Promise<void>;
}
