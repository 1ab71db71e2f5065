/**
 * Page side of the live updates: keeps a port to the worker open, hands every
 * ParleyEvent to the listener, and reconnects when the port drops (the worker
 * was stopped or restarted). After a reconnect the listener gets
 * `{ type: 'resync' }`: events may have been missed, so re-fetch everything.
 *
 * Runs in: pages.
 */
import { browser } from 'wxt/browser';
import { EVENTS_PORT, type PageSignal, type ParleyEvent } from './protocol.ts';

export type PageEvent = ParleyEvent | { readonly type: 'resync' };

const RECONNECT_MS = [200, 500, 1_000, 2_000, 5_000] as const;

export interface Subscription {
  /** Tells the worker which conversation is on screen (repeated after a reconnect). */
  viewing(conversationId: string | null): void;
  close(): void;
}

export function subscribe(listener: (event: PageEvent) => void): Subscription {
  let closed = false;
  let viewing: string | null = null;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let port: ReturnType<typeof browser.runtime.connect> | undefined;

  const signal = () => {
    const message: PageSignal = { type: 'viewing', conversationId: viewing };
    try {
      port?.postMessage(message);
    } catch {
      // The port just closed; the reconnect sends it again.
    }
  };

  const connect = () => {
    if (closed) return;
    const reconnecting = attempt > 0;
    port = browser.runtime.connect({ name: EVENTS_PORT });
    if (viewing !== null) signal();
    port.onMessage.addListener((message: unknown) => {
      attempt = 0;
      listener(message as ParleyEvent);
    });
    port.onDisconnect.addListener(() => {
      port = undefined;
      if (closed) return;
      const delay = RECONNECT_MS[Math.min(attempt, RECONNECT_MS.length - 1)] ?? 5_000;
      attempt++;
      timer = setTimeout(connect, delay);
    });
    if (reconnecting) listener({ type: 'resync' });
  };

  connect();
  return {
    viewing(conversationId) {
      if (conversationId === viewing) return;
      viewing = conversationId;
      signal();
    },
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      port?.disconnect();
    },
  };
}
