/**
 * Measurement aid, not a product entry point: the relay's own hub, services
 * and database (createRelay) behind Node's `ws` server instead of Deno's
 * WebSocket, to see how much of Parley's per-message cost is the WebSocket
 * layer. Serves the socket only (the benchmark seeds its devices directly).
 *   node --import tsx bench/relay/servers/parley-node-server.ts <port> <libsql file>
 */
import { WebSocketServer } from 'ws';
import { parseConfig } from '../../../edge/config.ts';
import { createLogger } from '../../../edge/observability/log.ts';
import { createRelay } from '../../../edge/relay.ts';
import { systemRandom } from '../../../shared/crypto/random.ts';

const port = Number(process.argv[2]);
const file = process.argv[3] ?? '';
const config = parseConfig(
  {
    ...process.env,
    LIBSQL_URL: `file:${file}`,
    PORT: String(port),
  },
  systemRandom,
);
const log = createLogger('warn', { write: (line) => process.stdout.write(`${line}\n`) }, () =>
  Date.now(),
);
const relay = await createRelay({ config, log });
relay.hub.start();
const server = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false });
server.on('connection', (socket, request) => {
  const connection = relay.hub.accept(
    {
      send: (data) => socket.send(data),
      close: (code, reason) => socket.close(code, reason),
      get bufferedAmount() {
        return socket.bufferedAmount;
      },
    },
    request.socket.remoteAddress ?? 'unknown',
  );
  socket.on('message', (data: Buffer, isBinary: boolean) =>
    connection?.receive(
      isBinary ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data.toString(),
    ),
  );
  socket.on('close', () => connection?.closed());
  socket.on('error', () => {});
});
server.on('listening', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => {
  void relay.close(0).finally(() => process.exit(0));
});
