/**
 * Live updates for open pages: each page connects a port named EVENTS_PORT;
 * the worker checks the port's sender exactly like a request's and then
 * pushes ParleyEvents to every connected page. Ports close when the worker
 * stops; pages reconnect and re-fetch (lib/events.ts), so nothing depends on
 * a port surviving.
 *
 * The one thing pages say on the port is which conversation they show right
 * now (`PageSignal`), so the worker does not notify about messages the person
 * is reading. It dies with the port: a closed popup stops "viewing" by itself.
 * Anything else on the port, or a malformed id, is ignored.
 *
 * Runs in: the service worker.
 */
import { EVENTS_PORT, type PageSignal, type ParleyEvent } from '../../lib/protocol.ts';
import { checkSender, type SelfInfo, type SenderInfo } from './rpc.ts';

/** The slice of chrome.runtime.Port used here. */
export interface EventPort {
  readonly name: string;
  readonly sender?: SenderInfo | undefined;
  postMessage(message: unknown): void;
  disconnect(): void;
  readonly onDisconnect: { addListener(callback: () => void): void };
  readonly onMessage?: { addListener(callback: (message: unknown) => void): void };
}

/** Conversation ids as the request schemas allow them (requests/fields.ts). */
const CONVERSATION_ID = /^[A-Za-z0-9_.:-]{1,200}$/;

/** The conversation a page signal says is on screen; undefined when the message is not a valid signal. */
export function parseSignal(message: unknown): string | null | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const m = message as Partial<Record<keyof PageSignal, unknown>>;
  if (m.type !== 'viewing' || Object.keys(m).length !== 2) return undefined;
  if (m.conversationId === null) return null;
  return typeof m.conversationId === 'string' && CONVERSATION_ID.test(m.conversationId)
    ? m.conversationId
    : undefined;
}

export class EventHub {
  readonly #ports = new Set<EventPort>();
  readonly #viewing = new Map<EventPort, string>();
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
    port.onDisconnect.addListener(() => {
      this.#ports.delete(port);
      this.#viewing.delete(port);
    });
    port.onMessage?.addListener((message) => {
      const conversationId = parseSignal(message);
      if (conversationId === undefined || !this.#ports.has(port)) return;
      if (conversationId === null) this.#viewing.delete(port);
      else this.#viewing.set(port, conversationId);
    });
    return true;
  }

  /** Some open page shows this conversation right now. */
  isViewing(conversationId: string): boolean {
    for (const id of this.#viewing.values()) if (id === conversationId) return true;
    return false;
  }

  /** To one attached port (a page that just connected gets the current status). */
  send(port: EventPort, event: ParleyEvent): void {
    if (!this.#ports.has(port)) return;
    try {
      port.postMessage(event);
    } catch {
      this.#ports.delete(port);
      this.#viewing.delete(port);
    }
  }

  broadcast(event: ParleyEvent): void {
    for (const port of this.#ports) this.send(port, event);
  }

  get size(): number {
    return this.#ports.size;
  }
}
