/**
 * Self-hosted serving through node:http and the `ws` package (HTTP_SERVER=node),
 * inside Deno: HTTP requests go to the same fetch handler (the Hono app) as
 * with Deno.serve, and socket upgrades to `ws` with a maximum payload.
 *
 * Why: Deno.upgradeWebSocket takes no maximum message size, so the runtime
 * buffers an incoming message whole (up to its own 64 MiB cap) before the
 * relay can refuse it; a pre-auth socket could make the relay hold that much
 * (docs/relay.md, "Limits and abuse"). `ws` reads the length from the frame
 * header and refuses a message over `maxPayload` before buffering it; the
 * socket is then dropped at once rather than drained (the peer may keep
 * sending). Measured: 8 sockets each sending 60 MiB grow a Deno.serve server
 * by ~710 MiB, this one by ~3 MiB.
 *
 * Deno Deploy serves only through Deno.serve, so this is for self-hosting.
 */
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Duplex, Readable } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { SocketEvents, UpgradeWebSocket } from '../routes/ws.ts';
import type { RelaySocket } from '../ws/socket.ts';

export type FetchHandler = (
  request: Request,
  remoteAddress: string,
) => Response | Promise<Response>;

/** An upgrade request on its way through the app; `taken` once `ws` owns the socket. */
interface PendingUpgrade {
  readonly req: IncomingMessage;
  readonly socket: Duplex;
  readonly head: Buffer;
  taken: boolean;
}

export interface NodeServerOptions {
  /** Largest socket message accepted (bytes); larger ones close the socket unread. */
  readonly maxPayload: number;
  /** Runs a socket callback; exceptions must not escape (main.ts logs them). */
  readonly guard: (what: string, fn: () => void) => void;
}

/** Headers the raw answer to a refused upgrade sets itself. */
const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection']);

function toRequest(req: IncomingMessage, withBody: boolean): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  const method = req.method ?? 'GET';
  const body =
    withBody && method !== 'GET' && method !== 'HEAD'
      ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' }
      : {};
  return new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, {
    method,
    headers,
    ...body,
  } as RequestInit);
}

async function writeResponse(response: Response, res: ServerResponse): Promise<void> {
  res.writeHead(response.status, [...response.headers].flat());
  if (response.body === null) {
    res.end();
    return;
  }
  for await (const chunk of response.body) {
    if (res.destroyed) return;
    if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
  }
  res.end();
}

export class NodeHttpServer {
  readonly #options: NodeServerOptions;
  readonly #wss: WebSocketServer;
  readonly #pending = new WeakMap<Request, PendingUpgrade>();
  readonly #sockets = new Set<WebSocket>();
  #server: Server | undefined;

  constructor(options: NodeServerOptions) {
    this.#options = options;
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPayload,
      perMessageDeflate: false,
    });
  }

  /** Sockets not yet closed (shutdown waits for their close handshakes). */
  get openSockets(): number {
    return this.#sockets.size;
  }

  /** The relay's upgrade seam: hands the request's raw socket to `ws`. */
  readonly upgrade: UpgradeWebSocket = (request, accept, gone) => {
    const pending = this.#pending.get(request);
    if (pending === undefined || pending.taken) throw new Error('not an upgrade request');
    pending.taken = true;
    let opened = false;
    // `ws` answers a bad handshake with 400 and closes without calling back: the slot is freed here.
    pending.socket.once('close', () => {
      if (!opened) this.#options.guard('gone', gone);
    });
    this.#wss.handleUpgrade(pending.req, pending.socket, pending.head, (ws) => {
      opened = true;
      this.#opened(ws, accept, gone);
    });
    // Never written: the socket belongs to `ws` now (see #upgradeRequest).
    return new Response(null, { status: 200 });
  };

  #opened(ws: WebSocket, accept: (socket: RelaySocket) => SocketEvents, gone: () => void): void {
    const { guard } = this.#options;
    this.#sockets.add(ws);
    const adapter: RelaySocket = {
      send: (data) => ws.send(data),
      close: (code, reason) => ws.close(code, reason),
      get bufferedAmount() {
        return ws.bufferedAmount;
      },
    };
    let events: SocketEvents | undefined;
    guard('open', () => {
      events = accept(adapter);
    });
    ws.on('message', (data: Buffer, isBinary: boolean) =>
      guard('message', () =>
        events?.message(
          isBinary ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : String(data),
        ),
      ),
    );
    // An oversized message (1009 already queued by `ws`) or a protocol error: drop the
    // connection now instead of reading whatever the peer keeps sending until it closes.
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      this.#sockets.delete(ws);
      guard('close', () => events?.close());
      guard('gone', gone);
    });
  }

  /** Listens; resolves once bound. */
  listen(
    host: string,
    port: number,
    fetch: FetchHandler,
    onListen: (address: { hostname: string; port: number }) => void,
  ): Promise<void> {
    const server = createServer((req, res) => void this.#serve(req, res, fetch));
    server.on(
      'upgrade',
      (req: IncomingMessage, socket, head: Buffer) =>
        void this.#upgradeRequest(req, socket, head, fetch),
    );
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        const address = server.address() as AddressInfo;
        onListen({ hostname: address.address, port: address.port });
        resolve();
      });
    });
  }

  async #serve(req: IncomingMessage, res: ServerResponse, fetch: FetchHandler): Promise<void> {
    // Answered before the body was read whole (e.g. 413): stop reading the rest.
    res.once('finish', () => {
      if (!req.complete) req.socket.destroy();
    });
    try {
      await writeResponse(await fetch(toRequest(req, true), req.socket.remoteAddress ?? ''), res);
    } catch {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    }
  }

  async #upgradeRequest(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    fetch: FetchHandler,
  ): Promise<void> {
    socket.on('error', () => socket.destroy());
    const request = toRequest(req, false);
    const pending: PendingUpgrade = { req, socket, head, taken: false };
    this.#pending.set(request, pending);
    let response: Response;
    try {
      response = await fetch(request, req.socket.remoteAddress ?? '');
    } catch {
      response = new Response(null, { status: 500 });
    }
    if (pending.taken) return;
    // Refused (429, 426, 503...): a plain HTTP/1.1 answer on the raw socket, then close.
    const body = Buffer.from(await response.arrayBuffer());
    const lines = [`HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ''}`];
    for (const [name, value] of response.headers)
      if (!FRAMING_HEADERS.has(name)) lines.push(`${name}: ${value}`);
    lines.push(`content-length: ${body.length}`, 'connection: close', '', '');
    socket.end(Buffer.concat([Buffer.from(lines.join('\r\n')), body]));
  }

  /** Stops listening and waits for in-flight requests (idle keep-alive connections are closed). */
  shutdown(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
  }
}
