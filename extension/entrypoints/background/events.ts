/**
 * Live updates for open pages: each page connects a port named EVENTS_PORT;
 * the worker checks the port's sender exactly like a request's and then
 * pushes ParleyEvents to every connected page. Ports close when the worker
 * stops; pages reconnect and re-fetch (lib/events.ts), so nothing depends on
 * a port surviving.
 *
 * Runs in: the service worker.
 */
import { EVENTS_PORT, type ParleyEvent } from '../../lib/protocol.ts';
import { checkSender, type SelfInfo, type SenderInfo } from './rpc.ts';

/** The slice of chrome.runtime.Port used here. */
export interface EventPort {
  readonly name: string;
  readonly sender?: SenderInfo | undefined;
  postMessage(message: unknown): void;
  disconnect(): void;
  readonly onDisconnect: { addListener(callback: () => void): void };
}

export class EventHub {
  readonly #ports = new Set<EventPort>();
  readonly #self: SelfInfo;

  constructor(self: SelfInfo) {
    this.#self = self;
  }

  /** Accepts a port from one of our pages; returns false (and disconnects) otherwise. */
  attach(port: EventPort): boolean {
    if (port.name !== EVENTS_PORT) return false;
    try {
      checkSender(port.sender, this.#self);
    } catch {
      port.disconnect();
      return false;
    }
    this.#ports.add(port);
    port.onDisconnect.addListener(() => this.#ports.delete(port));
    return true;
  }

  /** To one attached port (a page that just connected gets the current status). */
  send(port: EventPort, event: ParleyEvent): void {
    if (!this.#ports.has(port)) return;
    try {
      port.postMessage(event);
    } catch {
      this.#ports.delete(port);
    }
  }

  broadcast(event: ParleyEvent): void {
    for (const port of this.#ports) this.send(port, event);
  }

  get size(): number {
    return this.#ports.size;
  }
}
