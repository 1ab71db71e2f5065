/**
 * The client's one relay socket, or none: `open` starts a RelayConnection
 * (relay-connection.ts) for a device, `close` stops it. Everything else in the
 * client sends and asks through this slot, so nothing holds a connection that
 * was replaced or stopped.
 */
import type { Random } from '../../crypto/random.ts';
import { ErrorCode, fail } from '../../errors.ts';
import type { ClientFrame, ServerFrame } from '../../wire/frames.ts';
import type { Timers } from '../deps.ts';
import type { BackoffPolicy } from './backoff.ts';
import {
  type ConnectionStatus,
  type DeviceCredentials,
  RelayConnection,
  relaySocketUrl,
} from './relay-connection.ts';
import {
  createWebSocketTransport,
  type Transport,
  type WebSocketConstructor,
} from './websocket-transport.ts';

export interface RelayLinkDeps {
  readonly webSocket?: WebSocketConstructor;
  readonly transport?: Transport;
  readonly timers: Timers;
  readonly now: () => number;
  readonly random: Random;
  readonly keepaliveMs?: number;
  readonly backoff?: BackoffPolicy;
}

export interface RelayLinkHandlers {
  credentials(): Promise<DeviceCredentials>;
  onFrame(frame: ServerFrame): void;
  onStatus(status: ConnectionStatus): void;
  onDisconnect(): void;
  /** The identity key for the socket's unlock proof; undefined while the vault is locked. */
  unlockKey(): CryptoKey | undefined;
  /** The relay accepted the unlock proof: sends may go now. */
  onWritable(): void;
}

export function createRelayLink(deps: RelayLinkDeps) {
  const transport =
    deps.transport ??
    (deps.webSocket === undefined ? undefined : createWebSocketTransport(deps.webSocket));
  let connection: RelayConnection | undefined;

  function requireTransport(): Transport {
    if (transport === undefined)
      fail(ErrorCode.BAD_ARGUMENT, 'createClient needs webSocket or transport');
    return transport;
  }

  return {
    /** A socket is open or being reconnected (start() ran, stop() did not). */
    running: (): boolean => connection !== undefined,
    status: (): ConnectionStatus => connection?.status ?? { state: 'idle' },
    /** The socket is up and authenticated. */
    online: (): boolean => connection?.online === true,
    /** The socket carries the identity key's unlock proof: the relay accepts sends on it. */
    writable: (): boolean => connection?.writable === true,
    /** Proves the vault is open on the current socket (after unlock); nothing when it is down. */
    unlock: async (): Promise<void> => {
      await connection?.unlock();
    },
    /** Sends on the socket; false when it is not up. */
    send: (frame: ClientFrame): boolean => connection?.send(frame) ?? false,
    /** A new socket: the relay delivers what was not acked again. */
    recycle: (): void => connection?.recycle(),
    /** Skip the reconnect backoff (network back, worker woken by an alarm). */
    reconnectNow: (): void => connection?.reconnectNow(),
    /** Fails unless the client was given a way to open sockets. */
    requireTransport,
    open(relayUrl: string, handlers: RelayLinkHandlers): void {
      connection = new RelayConnection({
        url: relaySocketUrl(relayUrl),
        transport: requireTransport(),
        timers: deps.timers,
        now: deps.now,
        random: deps.random,
        credentials: handlers.credentials,
        onFrame: handlers.onFrame,
        onStatus: handlers.onStatus,
        onDisconnect: handlers.onDisconnect,
        unlockKey: handlers.unlockKey,
        onWritable: handlers.onWritable,
        ...(deps.keepaliveMs === undefined ? {} : { keepaliveMs: deps.keepaliveMs }),
        ...(deps.backoff === undefined ? {} : { backoff: deps.backoff }),
      });
      connection.start();
    },
    close(): void {
      connection?.stop();
      connection = undefined;
    },
  };
}

export type RelayLink = ReturnType<typeof createRelayLink>;
