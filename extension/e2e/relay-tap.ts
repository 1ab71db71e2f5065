/**
 * Test infrastructure: a man in the middle between the browsers and the real
 * relay, on its own port. HTTP requests pass through unchanged; WebSocket
 * frames are forwarded and decoded (shared/wire/codec.ts), so a test can see
 * every frame a browser sent and received (who a group message was addressed
 * to, which ciphertext travelled) and act as a malicious relay: hold back
 * deliveries to one user, and deliver a ciphertext that was never addressed to
 * them. Acks for injected deliveries are swallowed, so the real relay never
 * hears of them. HTTP requests are listed with the relay's answer, and
 * attachment chunk PUTs can be held back (an upload that stays in progress
 * for as long as a test needs, with no timing involved). Everything stays on
 * 127.0.0.1.
 *
 * Runs in: Node (vitest), beside the RelayProcess.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { type Duplex, PassThrough, type Readable } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import {
  decodeClientFrame,
  decodeServerFrame,
  encodeClientFrame,
  encodeServerFrame,
} from '../../shared/wire/codec.ts';
import type { ClientFrame, DeliverFrame, ServerFrame } from '../../shared/wire/frames.ts';

export type Captured =
  | {
      readonly dir: 'up';
      readonly socket: number;
      readonly user: string | undefined;
      readonly at: number;
      readonly frame: ClientFrame;
    }
  | {
      readonly dir: 'down';
      readonly socket: number;
      readonly user: string | undefined;
      readonly at: number;
      readonly frame: ServerFrame;
      /** Delivered by the tap itself, not the relay. */
      readonly injected: boolean;
    };

/** One HTTP request through the tap, with the relay's answer once there is one. */
export interface TappedRequest {
  readonly method: string;
  readonly path: string;
  /** The relay's status code; undefined while held or waiting. */
  readonly status: number | undefined;
  /** The browser went away (closed, killed) before the relay answered. */
  readonly dropped: boolean;
  /** `Authorization` of attachment requests (the upload token), so a test can ask the relay too. */
  readonly authorization: string | undefined;
}

type TappedEntry = { -readonly [K in keyof TappedRequest]: TappedRequest[K] };

/** More than one relay chunk (1 MiB) with its headers: a held PUT's body fits in the tap. */
const HELD_BODY_BYTES = 4 * 1024 * 1024;

/** `/v1/attachments/<id>/chunks/<index>`: a chunk PUT can be held (holdChunkPuts). */
const CHUNK_PATH = /^\/v1\/attachments\/([A-Za-z0-9_-]+)\/chunks\/(\d+)$/;

/** The upload id and chunk index of a chunk request's path, or null. */
export function chunkOf(path: string): { readonly id: string; readonly index: number } | null {
  const match = CHUNK_PATH.exec(path);
  return match === null ? null : { id: match[1] ?? '', index: Number(match[2]) };
}

interface Link {
  readonly id: number;
  readonly client: WebSocket;
  readonly upstream: WebSocket;
  user: string | undefined;
  device: number | undefined;
}

export interface RelayTap {
  /** Give this to the browsers as the relay URL. */
  readonly url: string;
  /** Every frame, in order. */
  readonly frames: readonly Captured[];
  /** user id → device id, as the relay's `ready` frames said. */
  devices(): ReadonlyMap<string, number>;
  /** From now on, deliveries to `user` wait in the tap (challenge, ready, pong still pass). */
  hold(user: string): void;
  /** Forwards what was held, in order, and stops holding. */
  release(user: string): number;
  /** Deliveries currently held for `user`. */
  held(user: string): readonly DeliverFrame[];
  /** Hands `frame` to every open socket of `user`, as if the relay sent it. */
  inject(user: string, frame: DeliverFrame): number;
  /** Every HTTP request, in arrival order. */
  readonly requests: readonly TappedRequest[];
  /** From now on, chunk PUTs after the next `pass` wait in the tap, unanswered (never forwarded). */
  holdChunkPuts(pass?: number): void;
  /** Forwards the held chunk PUTs whose browser is still there, and stops holding; returns how many. */
  releaseChunkPuts(): number;
  /** Chunk PUTs waiting in the tap now (their browser still connected). */
  heldChunkPuts(): number;
  close(): Promise<void>;
}

const INJECTED_QID_BASE = 9_000_000_000_000;

export async function startRelayTap(relayUrl: string): Promise<RelayTap> {
  const target = new URL(relayUrl);
  const frames: Captured[] = [];
  const links = new Set<Link>();
  const holding = new Map<string, Array<{ link: Link; bytes: Buffer; frame: DeliverFrame }>>();
  const injectedQids = new Set<number>();
  let nextSocket = 1;
  let nextQid = INJECTED_QID_BASE;

  const requests: TappedEntry[] = [];
  /** undefined: chunk PUTs pass; a number: this many more pass, then they wait in `heldPuts`. */
  let chunkAllowance: number | undefined;
  const heldPuts: Array<{ forward: () => void; entry: TappedEntry }> = [];

  function forward(
    req: IncomingMessage,
    res: ServerResponse,
    entry: TappedEntry,
    body: Readable = req,
  ): void {
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (answer) => {
        entry.status = answer.statusCode ?? 502;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    body.pipe(upstream);
  }

  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    const entry: TappedEntry = {
      method: req.method ?? 'GET',
      path,
      status: undefined,
      dropped: false,
      authorization: path.startsWith('/v1/attachments/') ? req.headers.authorization : undefined,
    };
    requests.push(entry);
    res.on('close', () => {
      if (entry.status === undefined) entry.dropped = true;
    });
    const hold = entry.method === 'PUT' && chunkOf(path) !== null && chunkAllowance !== undefined;
    if (hold && chunkAllowance === 0) {
      // The body is read into the tap at once: a socket left unread would never
      // see its browser go away (no 'close' until something reads the EOF).
      const body = new PassThrough({ highWaterMark: HELD_BODY_BYTES });
      req.pipe(body);
      heldPuts.push({ forward: () => forward(req, res, entry, body), entry });
      return;
    }
    if (hold && chunkAllowance !== undefined) chunkAllowance--;
    forward(req, res, entry);
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket: Duplex, head) => {
    const headers: Record<string, string> = {};
    for (const name of ['origin', 'user-agent']) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const upstream = new WebSocket(`ws://${target.host}${req.url ?? '/'}`, { headers });
    upstream.binaryType = 'nodebuffer';
    // The relay speaks first (challenge), possibly before the browser side is accepted.
    const early: Array<readonly [Buffer, boolean]> = [];
    const collect = (data: Buffer, isBinary: boolean) => early.push([data, isBinary]);
    upstream.on('message', collect);
    upstream.once('error', () => socket.destroy());
    upstream.once('open', () => {
      wss.handleUpgrade(req, socket, head, (client) => {
        const link: Link = {
          id: nextSocket++,
          client,
          upstream,
          user: undefined,
          device: undefined,
        };
        links.add(link);
        upstream.off('message', collect);
        const onDown = wire(link);
        for (const [data, isBinary] of early) onDown(data, isBinary);
      });
    });
  });

  /** Connects both directions; returns the relay → browser handler (for early frames). */
  function wire(link: Link): (data: Buffer, isBinary: boolean) => void {
    const { client, upstream } = link;
    const close = () => {
      links.delete(link);
      if (client.readyState === WebSocket.OPEN) client.close();
      if (upstream.readyState === WebSocket.OPEN) upstream.close();
    };
    client.on('close', close);
    upstream.on('close', close);
    client.on('error', close);
    upstream.on('error', close);

    client.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) {
        upstream.send(data, { binary: false });
        return;
      }
      let frame: ClientFrame;
      try {
        frame = decodeClientFrame(new Uint8Array(data));
      } catch {
        upstream.send(data);
        return;
      }
      frames.push({ dir: 'up', socket: link.id, user: link.user, at: Date.now(), frame });
      if (frame.t === 'ack') {
        // The real relay never hears of deliveries it did not make.
        const qids = frame.qids.filter((q) => !injectedQids.has(q));
        if (qids.length === 0) return;
        if (qids.length !== frame.qids.length) {
          upstream.send(encodeClientFrame({ t: 'ack', qids }));
          return;
        }
      }
      upstream.send(data);
    });

    const onDown = (data: Buffer, isBinary: boolean) => {
      if (!isBinary) {
        client.send(data, { binary: false });
        return;
      }
      let frame: ServerFrame;
      try {
        frame = decodeServerFrame(new Uint8Array(data));
      } catch {
        client.send(data);
        return;
      }
      if (frame.t === 'ready') {
        link.user = frame.user;
        link.device = frame.device;
      }
      frames.push({
        dir: 'down',
        socket: link.id,
        user: link.user,
        at: Date.now(),
        frame,
        injected: false,
      });
      const queue = link.user === undefined ? undefined : holding.get(link.user);
      if (frame.t === 'deliver' && queue !== undefined) {
        queue.push({ link, bytes: data, frame });
        return;
      }
      client.send(data);
    };
    upstream.on('message', onDown);
    return onDown;
  }

  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;

  return {
    url: `http://127.0.0.1:${port}`,
    frames,
    devices() {
      const out = new Map<string, number>();
      for (const link of links)
        if (link.user !== undefined && link.device !== undefined) out.set(link.user, link.device);
      return out;
    },
    hold(user) {
      if (!holding.has(user)) holding.set(user, []);
    },
    release(user) {
      const queue = holding.get(user) ?? [];
      holding.delete(user);
      let sent = 0;
      for (const { link, bytes } of queue) {
        if (link.client.readyState !== WebSocket.OPEN) continue;
        link.client.send(bytes);
        sent++;
      }
      return sent;
    },
    held(user) {
      return (holding.get(user) ?? []).map((h) => h.frame);
    },
    inject(user, frame) {
      const qid = nextQid++;
      injectedQids.add(qid);
      const deliver: DeliverFrame = { ...frame, qid };
      let sent = 0;
      for (const link of links) {
        if (link.user !== user || link.client.readyState !== WebSocket.OPEN) continue;
        link.client.send(encodeServerFrame(deliver));
        frames.push({
          dir: 'down',
          socket: link.id,
          user,
          at: Date.now(),
          frame: deliver,
          injected: true,
        });
        sent++;
      }
      return sent;
    },
    requests,
    holdChunkPuts(pass = 0) {
      chunkAllowance = pass;
    },
    releaseChunkPuts() {
      chunkAllowance = undefined;
      const waiting = heldPuts.splice(0).filter((h) => !h.entry.dropped);
      for (const h of waiting) h.forward();
      return waiting.length;
    },
    heldChunkPuts() {
      return heldPuts.filter((h) => !h.entry.dropped).length;
    },
    async close() {
      for (const link of links) {
        link.client.terminate();
        link.upstream.terminate();
      }
      links.clear();
      await new Promise<void>((ok) => wss.close(() => ok()));
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
