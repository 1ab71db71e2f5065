/**
 * Reference server: a bare `ws` server doing the relay's 1:1 routing with
 * the relay's CBOR frames, and nothing else: no signature check (any `auth`
 * is accepted), no persistence (a message to an offline device is dropped),
 * no validation beyond CBOR decoding, no rate limits. It bounds what the
 * routing alone costs on this machine.
 *   node --import tsx bench/relay/servers/ws-server.ts <port>
 */
import { randomBytes } from 'node:crypto';
import { decode, encode } from 'cbor-x';
import { type WebSocket, WebSocketServer } from 'ws';

interface Frame {
  readonly t: string;
  readonly [key: string]: unknown;
}

interface SendFrame {
  readonly id: Uint8Array;
  readonly to: readonly {
    user: string;
    devices: readonly { device: number; body: Uint8Array }[];
  }[];
}

const port = Number(process.argv[2]);
const sockets = new Map<string, WebSocket>();
const server = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false });
let seq = 0;

server.on('connection', (socket) => {
  let me: { user: string; device: number } | undefined;
  socket.send(encode({ t: 'challenge', nonce: randomBytes(32), serverTime: Date.now() }));
  socket.on('message', (data: Buffer) => {
    const frame = decode(data) as Frame;
    if (frame.t === 'auth') {
      me = { user: String(frame.user), device: Number(frame.device) };
      sockets.set(`${me.user}/${me.device}`, socket);
      socket.send(
        encode({ t: 'ready', user: me.user, device: me.device, queued: 0, oneTimePreKeys: 0 }),
      );
      return;
    }
    if (me === undefined) return;
    if (frame.t === 'send') {
      const send = frame as unknown as SendFrame;
      for (const recipient of send.to) {
        for (const d of recipient.devices) {
          sockets.get(`${recipient.user}/${d.device}`)?.send(
            encode({
              t: 'deliver',
              id: send.id,
              from: me.user,
              fromDevice: me.device,
              body: d.body,
              sentAt: Date.now(),
              qid: ++seq,
            }),
          );
        }
      }
      socket.send(encode({ t: 'stored', id: send.id, serverTime: Date.now() }));
    } else if (frame.t === 'ping') {
      socket.send(encode({ t: 'pong', n: frame.n }));
    }
    // `ack` needs nothing: nothing was stored.
  });
  socket.on('close', () => {
    if (me !== undefined && sockets.get(`${me.user}/${me.device}`) === socket)
      sockets.delete(`${me.user}/${me.device}`);
  });
});

server.on('listening', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => process.exit(0));
