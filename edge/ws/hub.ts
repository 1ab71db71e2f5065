/**
 * The WebSocket hub: the registry of this instance's connections, the shared
 * services they use, a once-a-second tick for timeouts, and graceful shutdown
 * (refuse new sockets, let in-flight frames finish, close the rest with 1001).
 */
import { toBase64Url } from '../../shared/bytes.ts';
import { systemTimers } from '../clock.ts';
import { type AdmissionTicket, PreauthAdmission } from './admission.ts';
import { Connection } from './connection.ts';
import type { HubContext, HubDeps } from './context.ts';
import { CloseCode, type RelaySocket } from './socket.ts';

export class Hub {
  readonly #ctx: HubContext;
  readonly #connections = new Set<Connection>();
  readonly #admission: PreauthAdmission;
  #closing = false;
  #timer: unknown;

  constructor(deps: HubDeps) {
    this.#ctx = {
      ...deps,
      timers: deps.timers ?? systemTimers,
      forget: (c) => {
        if (c instanceof Connection) this.#connections.delete(c);
      },
    };
    this.#admission = new PreauthAdmission(deps.config.wsPreauthPerIp, deps.config.wsPreauthTotal);
  }

  /** A slot for one more unauthenticated socket from `ip` (admission.ts), or undefined. */
  admit(ip: string): AdmissionTicket | undefined {
    return this.#admission.admit(ip);
  }

  get size(): number {
    return this.#connections.size;
  }

  get closing(): boolean {
    return this.#closing;
  }

  /**
   * Takes ownership of a freshly upgraded socket; the caller forwards its
   * events. `ticket` is its pre-auth slot: the connection gives it back once
   * authenticated, the caller when the transport closes.
   */
  accept(socket: RelaySocket, ip: string, ticket?: AdmissionTicket): Connection | undefined {
    if (this.#closing) {
      try {
        socket.close(CloseCode.GOING_AWAY, 'relay shutting down');
      } catch {
        // nothing to do
      }
      return undefined;
    }
    const connection = new Connection(
      this.#ctx,
      socket,
      toBase64Url(this.#ctx.random(9)),
      ip,
      ticket,
    );
    this.#connections.add(connection);
    return connection;
  }

  tick(): void {
    const now = this.#ctx.now();
    for (const connection of [...this.#connections]) {
      try {
        connection.tick(now);
      } catch (error) {
        this.#ctx.log.error('ws.tick_failed', {
          conn: connection.id,
          error: error instanceof Error ? error.name : 'unknown',
        });
      }
    }
  }

  start(intervalMs = 1000): void {
    if (this.#timer === undefined)
      this.#timer = this.#ctx.timers.setInterval(() => this.tick(), intervalMs);
  }

  async shutdown(graceMs: number): Promise<void> {
    this.#closing = true;
    if (this.#timer !== undefined) this.#ctx.timers.clearInterval(this.#timer);
    this.#timer = undefined;
    await Promise.all([...this.#connections].map((c) => c.drain(graceMs)));
  }
}
