/**
 * A WebSocket transport that lets tests watch and tamper with the wire: every
 * frame a client sends is decoded and recorded, and incoming frames can be
 * dropped (playing a relay that silently loses a message) or held back and
 * released later (playing a network that reorders what different senders sent).
 */
import WebSocket from 'ws';
import { decodeClientFrame, decodeServerFrame } from '../../wire/codec.ts';
import type { ClientFrame, ServerFrame } from '../../wire/frames.ts';
import { createWebSocketTransport, type Transport } from '../websocket-transport.ts';

export interface Tap {
  readonly transport: Transport;
  /** Every frame the client sent, decoded, oldest first. */
  readonly sent: ClientFrame[];
  /** Every frame the client received (and was not dropped), decoded. */
  readonly received: ServerFrame[];
  /** Return true to drop an incoming frame before the client sees it. */
  dropIncoming: (frame: ServerFrame) => boolean;
  /** Return true to hold an incoming frame back until `release()`. */
  holdIncoming: (frame: ServerFrame) => boolean;
  /** Hands every held frame to the client, in the order they arrived; returns how many. */
  release(): number;
}

export function tapTransport(): Tap {
  const base = createWebSocketTransport(WebSocket);
  const held: Array<() => void> = [];
  const tap: Tap = {
    sent: [],
    received: [],
    dropIncoming: () => false,
    holdIncoming: () => false,
    release: () => {
      const n = held.length;
      for (const deliver of held.splice(0)) deliver();
      return n;
    },
    transport: (url, handlers) => {
      const socket = base(url, {
        onOpen: () => handlers.onOpen(),
        onClose: (code, reason) => handlers.onClose(code, reason),
        onMessage: (data) => {
          if (typeof data !== 'string') {
            const frame = decodeServerFrame(data);
            if (tap.dropIncoming(frame)) return;
            if (tap.holdIncoming(frame)) {
              held.push(() => {
                tap.received.push(frame);
                handlers.onMessage(data);
              });
              return;
            }
            tap.received.push(frame);
          }
          handlers.onMessage(data);
        },
      });
      return {
        send: (data) => {
          tap.sent.push(decodeClientFrame(data));
          socket.send(data);
        },
        close: (code, reason) => socket.close(code, reason),
      };
    },
  };
  return tap;
}
