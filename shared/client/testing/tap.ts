/**
 * A WebSocket transport that lets tests watch and tamper with the wire: every
 * frame a client sends is decoded and recorded, and incoming frames can be
 * dropped (playing a relay that silently loses a message), held back and
 * released later (playing a network that reorders what different senders
 * sent), or rewritten (playing a relay or proxy that flips bits, injects
 * copies, or swaps a frame for a forged one).
 */
import WebSocket from 'ws';
import { decodeClientFrame, decodeServerFrame, encodeServerFrame } from '../../wire/codec.ts';
import type { ClientFrame, ServerFrame } from '../../wire/frames.ts';
import { createWebSocketTransport, type Transport } from '../relay/websocket-transport.ts';

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
  /**
   * Return the frames to hand the client instead of `frame` (none, several,
   * altered), or undefined to hand it over as it is. Applied when the frame
   * is handed over (for a held frame: on release).
   */
  rewriteIncoming: (frame: ServerFrame) => ServerFrame[] | undefined;
  /** Close codes of every socket of this transport that the relay (or the client) closed. */
  readonly closes: number[];
  /** Frames held back now. */
  readonly held: number;
  /** Hands every held frame to the client, in the order they arrived; returns how many. */
  release(): number;
}

export function tapTransport(): Tap {
  const base = createWebSocketTransport(WebSocket);
  const held: Array<() => void> = [];
  const tap: Tap = {
    sent: [],
    received: [],
    closes: [],
    dropIncoming: () => false,
    holdIncoming: () => false,
    rewriteIncoming: () => undefined,
    get held() {
      return held.length;
    },
    release: () => {
      const n = held.length;
      for (const deliver of held.splice(0)) deliver();
      return n;
    },
    transport: (url, handlers) => {
      const socket = base(url, {
        onOpen: () => handlers.onOpen(),
        onClose: (code, reason) => {
          tap.closes.push(code);
          handlers.onClose(code, reason);
        },
        onMessage: (data) => {
          if (typeof data === 'string') {
            handlers.onMessage(data);
            return;
          }
          const frame = decodeServerFrame(data);
          if (tap.dropIncoming(frame)) return;
          const handOver = () => {
            const instead = tap.rewriteIncoming(frame);
            if (instead === undefined) {
              tap.received.push(frame);
              handlers.onMessage(data);
              return;
            }
            for (const f of instead) {
              tap.received.push(f);
              handlers.onMessage(encodeServerFrame(f));
            }
          };
          if (tap.holdIncoming(frame)) held.push(handOver);
          else handOver();
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
