/**
 * The client core (shared/client) on the worker's platform: its storage,
 * WebSocket, fetch and timers, the vault's lock state and the locked inbox
 * (frames that arrive while locked are sealed there and acked only after
 * that write). client-runtime.ts runs it.
 *
 * Runs in: the service worker and Node (tests, with `ws` and memory storage).
 */
import {
  type ConnectionStatus,
  createClient,
  type DeviceAddress,
  type ParleyClient,
} from '../../../shared/client/client.ts';
import type { FetchLike, Timers } from '../../../shared/client/deps.ts';
import type { WebSocketConstructor } from '../../../shared/client/relay/websocket-transport.ts';
import type { RelayStatus } from '../../lib/protocol.ts';
import type { RuntimeContext } from './runtime-context.ts';

/** What the worker's platform provides (globals in the worker, `ws`/Node in tests). */
export interface ClientPlatform {
  /** Bound: `(url, init) => fetch(url, init)`. */
  readonly fetch: FetchLike;
  readonly webSocket: WebSocketConstructor;
  readonly timers: Timers;
  /** False when the browser knows it has no network (the status then says "offline"). */
  readonly online?: () => boolean;
  /** Background failures: codes and names only reach the log. */
  readonly report: (what: string, error: unknown) => void;
  /** Sent as Origin by non-browser callers (tests); browsers set it themselves. */
  readonly origin?: string;
  /** Shorter keepalive/backoff in tests. */
  readonly keepaliveMs?: number;
}

/** Where the ids the relay knows this device by are kept (plain `meta`: readable while locked). */
export interface AddressStore {
  load(): Promise<DeviceAddress | undefined>;
  save(address: DeviceAddress): Promise<void>;
}

export function toRelayStatus(status: ConnectionStatus, online: boolean): RelayStatus {
  switch (status.state) {
    case 'retrying':
      return online ? status : { state: 'offline' };
    case 'stopped':
      return { state: 'stopped' };
    default:
      return status;
  }
}

export function sameAddress(a: DeviceAddress | undefined, b: DeviceAddress): boolean {
  return a?.relayUrl === b.relayUrl && a.userId === b.userId && a.deviceId === b.deviceId;
}

/** The client core on the worker's storage, platform and locked inbox. */
export function createWorkerClient(ctx: RuntimeContext, platform: ClientPlatform): ParleyClient {
  return createClient({
    storage: ctx.storage,
    fetch: platform.fetch,
    webSocket: platform.webSocket,
    timers: platform.timers,
    now: ctx.now,
    random: ctx.random,
    ...(platform.origin === undefined ? {} : { origin: platform.origin }),
    ...(platform.keepaliveMs === undefined ? {} : { keepaliveMs: platform.keepaliveMs }),
    locked: {
      isLocked: () => !ctx.isUnlocked(),
      put: async (frame) => {
        const outcome = await ctx.lockedInbox.put(frame);
        // A refused frame stays on the relay: nothing new is waiting here to announce.
        if (outcome === 'stored') ctx.lockedArrived?.();
        return outcome;
      },
    },
    onError: (error, context) => {
      // The client core's own countdown timer can fire after a lock; it cannot
      // read the (opaque) expiry index then, and the expiry alarm sweeps by
      // bucket instead (expireDue below), so this is no failure.
      if (context === 'expiry' && ctx.lockedSweep !== undefined && !ctx.isUnlocked()) return;
      platform.report(context, error);
    },
  });
}
