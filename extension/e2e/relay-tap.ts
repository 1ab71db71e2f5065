/**
 * Test infrastructure: a man in the middle between the browsers and the real
 * relay, on its own port. HTTP requests pass through unchanged; WebSocket
 * frames are forwarded and decoded (shared/wire/codec.ts), so a test can see
 * every frame a browser sent and received (who a group message was addressed
 * to, which ciphertext travelled) and act as a malicious relay: hold back
 * deliveries to one user, and deliver a ciphertext that was never addressed to
 * them. Acks for injected deliveries are swallowed, so the real relay never
 * hears of them. Everything stays on 127.0.0.1.
 *
 * Runs in: Node (vitest), beside the RelayProcess.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
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

  const server: Server = createServer((req, res) => {
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
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
