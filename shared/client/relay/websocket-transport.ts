/**
 * The socket seam of the relay connection. `Transport` is what
 * relay-connection.ts talks to; `createWebSocketTransport` adapts any
 * WHATWG-style WebSocket constructor to it: the global one in browsers, the
 * MV3 service worker and Deno, or the `ws` package's in Node (Node 20 has no
 * global WebSocket). Binary frames arrive as ArrayBuffer (`binaryType =
 * 'arraybuffer'`, which all three support) and are handed on as Uint8Array.
 */

export interface TransportHandlers {
  onOpen(): void;
  /** Binary frames as bytes; text frames as strings (the relay never sends them). */
  onMessage(data: Uint8Array | string): void;
  onClose(code: number, reason: string): void;
}

export interface TransportSocket {
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

export type Transport = (url: string, handlers: TransportHandlers) => TransportSocket;

/** The members of a WHATWG WebSocket this adapter uses. */
interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { readonly data: unknown }) => void) | null;
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/**
 * Any constructor `new (url) => WebSocket`. Typed loosely on purpose: the DOM's,
 * Deno's and the `ws` package's classes differ in their event types, and all
 * three provide the members of WebSocketLike.
 */
export type WebSocketConstructor = new (url: string) => object;

const OPEN = 1;

function toBytes(data: unknown): Uint8Array | string | undefined {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) {
    // ws may hand a Buffer if binaryType could not be set; copy into a plain array.
    return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  }
  return undefined;
}

export function createWebSocketTransport(WebSocketImpl: WebSocketConstructor): Transport {
  return function openWebSocket(url, handlers) {
    const socket = new WebSocketImpl(url) as WebSocketLike;
    socket.binaryType = 'arraybuffer';
    let closed = false;
    const closeOnce = (code: number, reason: string) => {
      if (closed) return;
      closed = true;
      handlers.onClose(code, reason);
    };
    socket.onopen = () => handlers.onOpen();
    socket.onmessage = (event) => {
      const data = toBytes(event.data);
      if (data !== undefined) handlers.onMessage(data);
    };
    socket.onclose = (event) => closeOnce(event.code, event.reason);
    // An error is always followed by close in browsers; `ws` may not close after a failed connect.
    socket.onerror = () => {
      if (socket.readyState !== OPEN) closeOnce(1006, 'connection failed');
    };
    return {
      send(data) {
        if (socket.readyState === OPEN) socket.send(data);
      },
      close(code, reason) {
        try {
          socket.close(code, reason);
        } catch {
          socket.close();
        }
        // Some runtimes deliver no close event for a socket that never opened.
        closeOnce(code ?? 1000, reason ?? '');
      },
    };
  };
}
