/**
 * Reference server: Socket.IO 4 on Node doing Parley's 1:1 routing without
 * persistence or authentication. A client connects with `{user}` as its
 * auth payload and joins the room named after it; `send {to, id, body}` is
 * emitted to room `to` as `deliver {from, id, body}` and acknowledged to the
 * sender. With a Redis URL, rooms span instances through
 * @socket.io/redis-adapter (every emit goes through Redis pub/sub).
 *   node --import tsx bench/relay/servers/socketio-server.ts <port> [redisUrl]
 */
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';

const port = Number(process.argv[2]);
const redisUrl = process.argv[3];
const http = createServer();
const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false });
if (redisUrl !== undefined) {
  const pub = new Redis(redisUrl);
  const sub = pub.duplicate();
  io.adapter(createAdapter(pub, sub));
}

interface SendPayload {
  readonly to: string;
  readonly id: string;
  readonly body: string;
}

io.use((socket, next) => {
  const user: unknown = socket.handshake.auth.user;
  if (typeof user !== 'string') {
    next(new Error('user required'));
    return;
  }
  socket.data.user = user;
  next();
});

io.on('connection', (socket) => {
  const user = socket.data.user as string;
  void socket.join(user);
  socket.on('send', (payload: SendPayload, ack: unknown) => {
    io.to(payload.to).emit('deliver', { from: user, id: payload.id, body: payload.body });
    if (typeof ack === 'function') ack({ id: payload.id });
  });
});

http.listen(port, '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => process.exit(0));
