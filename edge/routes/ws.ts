/**
 * GET /v1/ws: upgrades to the relay socket. No header-writing middleware may
 * run here (the upgrade response's headers are immutable), so this route only
 * checks the per-IP connect budget and hands the socket to the hub.
 */
import { Hono } from 'hono';
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import type { AppEnv } from '../http/env.ts';
import type { RateLimiter } from '../limits/rate-limiter.ts';
import type { Hub } from '../ws/hub.ts';
import type { RelaySocket } from '../ws/socket.ts';

export interface SocketEvents {
  message(data: unknown): void;
  close(): void;
}

/**
 * Runtime seam: main.ts passes Deno's upgrade; `accept` runs when the socket
 * opens, `gone` once when the transport is finished with it (closed, or the
 * upgrade failed before it opened).
 */
export type UpgradeWebSocket = (
  request: Request,
  accept: (socket: RelaySocket) => SocketEvents,
  gone: () => void,
) => Response;

export interface WsRoutesDeps {
  readonly hub: Hub;
  readonly upgrade: UpgradeWebSocket | undefined;
  readonly connectLimiter: RateLimiter;
}

export function wsRoutes(deps: WsRoutesDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/', async (c) => {
    if (deps.hub.closing) throw new ParleyError(ErrorCode.SHUTTING_DOWN, 'Relay is shutting down');
    const ip = c.get('ip');
    const decision = await deps.connectLimiter.consume(`ws:${ip}`);
    if (!decision.allowed) {
      throw new ParleyError(ErrorCode.RATE_LIMITED, 'Too many connections', {
        retryAfterSeconds: decision.retryAfterSeconds,
      });
    }
    if (deps.upgrade === undefined || c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
      return c.json(
        { error: { code: ErrorCode.BAD_ARGUMENT, message: 'Expected a WebSocket upgrade' } },
        426,
      );
    }
    // Refused before the upgrade: a socket that is never opened cannot be made to buffer anything.
    const ticket = deps.hub.admit(ip);
    if (ticket === undefined) {
      throw new ParleyError(ErrorCode.RATE_LIMITED, 'Too many unauthenticated connections', {
        retryAfterSeconds: 1,
      });
    }
    try {
      return deps.upgrade(
        c.req.raw,
        (socket) => {
          const connection = deps.hub.accept(socket, ip, ticket);
          return {
            message: (data) => connection?.receive(data),
            close: () => connection?.closed(),
          };
        },
        () => ticket.release(),
      );
    } catch {
      ticket.release();
      // The runtime refused the handshake (e.g. no Sec-WebSocket-Key): the client's fault.
      throw new ParleyError(ErrorCode.BAD_ARGUMENT, 'Invalid WebSocket handshake');
    }
  });
  return app;
}
