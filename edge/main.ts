/**
 * The relay process: the only file that touches Deno.serve, Deno.env and
 * signals. Everything else is built by createRelay from a parsed config.
 *
 * Shutdown (SIGINT/SIGTERM): stop accepting connections, let frames being
 * handled finish their writes, close sockets with 1001, close the database.
 */
import './preload.ts';
import { systemRandom } from '../shared/crypto/random.ts';
import { FRAME_MAX_BYTES } from '../shared/wire/limits.ts';
import { ConfigError, parseConfig } from './config.ts';
import { createLogger, safeErrorText } from './observability/log.ts';
import { createRelay } from './relay.ts';
import type { SocketEvents, UpgradeWebSocket } from './routes/ws.ts';
import type { RelaySocket } from './ws/socket.ts';

/**
 * Sockets whose close handshake has not finished. Shutdown waits for them:
 * exiting right after close(1001) can drop the close frame, and the client
 * then sees 1006 (abnormal) instead of "going away".
 */
const openSockets = new Set<WebSocket>();

async function socketsClosed(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (openSockets.size + (nodeServer?.openSockets ?? 0) > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** An exception escaping a socket callback would take the process down: catch at the boundary. */
function guard(what: string, fn: () => void): void {
  try {
    fn();
  } catch (error) {
    log.error('ws.callback_failed', {
      what,
      error: error instanceof Error ? error.name : 'unknown',
      detail: safeErrorText(error),
    });
  }
}

function denoUpgrade(): UpgradeWebSocket {
  return function upgrade(request, accept, gone) {
    // Deno's own idle ping is off: keepalive is the app-level ping/pong the hub times.
    const { socket, response } = Deno.upgradeWebSocket(request, { idleTimeout: 0 });
    socket.binaryType = 'arraybuffer';
    openSockets.add(socket);
    const adapter: RelaySocket = {
      send: (data) => socket.send(data as Uint8Array<ArrayBuffer>),
      close: (code, reason) => socket.close(code, reason),
      get bufferedAmount() {
        return socket.bufferedAmount;
      },
    };
    let events: SocketEvents | undefined;
    socket.onopen = () =>
      guard('open', () => {
        events = accept(adapter);
      });
    socket.onmessage = (event) => guard('message', () => events?.message(event.data));
    socket.onclose = () => {
      openSockets.delete(socket);
      guard('close', () => events?.close());
      guard('gone', gone);
    };
    // Before `open`, an error means the upgrade failed and no close event follows.
    socket.onerror = () => {
      if (events === undefined) {
        openSockets.delete(socket);
        guard('gone', gone);
      }
    };
    return response;
  };
}

const encoder = new TextEncoder();
const log = createLogger(
  (Deno.env.get('LOG_LEVEL') as 'debug' | 'info' | 'warn' | 'error' | undefined) ?? 'info',
  { write: (line) => Deno.stdout.writeSync(encoder.encode(`${line}\n`)) },
  () => Date.now(),
);

globalThis.addEventListener('unhandledrejection', (event) => {
  event.preventDefault();
  log.error('process.unhandled_rejection', { detail: safeErrorText(event.reason) });
});
globalThis.addEventListener('error', (event) => {
  event.preventDefault();
  log.error('process.uncaught_exception', { detail: safeErrorText(event.error) });
});

let config: ReturnType<typeof parseConfig>;
try {
  config = parseConfig(Deno.env.toObject(), systemRandom);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`parley relay: ${error.message}`);
    Deno.exit(2);
  }
  throw error;
}

// HTTP_SERVER=node (self-hosting): node:http and `ws`, which refuses an oversized socket
// message before buffering it (edge/http/node-server.ts); loaded only when chosen.
const nodeServer =
  config.httpServer === 'node'
    ? new (await import('./http/node-server.ts')).NodeHttpServer({
        maxPayload: FRAME_MAX_BYTES,
        guard,
      })
    : undefined;
const relay = await createRelay({
  config,
  log,
  upgradeWebSocket: nodeServer?.upgrade ?? denoUpgrade(),
});
relay.hub.start();
await relay.sweeper.sweep();

const sweepAbort = new AbortController();
let sweepTimer: ReturnType<typeof setInterval> | undefined;
/** Deno.cron (whole minutes only; needs --unstable-cron locally, native on Deno Deploy), else an interval. */
function scheduleSweeps(): string {
  const minutes = config.sweepIntervalSeconds / 60;
  if (
    typeof Deno.cron === 'function' &&
    Number.isInteger(minutes) &&
    minutes >= 1 &&
    minutes <= 59
  ) {
    try {
      Deno.cron(
        'parley-expiry-sweep',
        minutes === 1 ? '* * * * *' : `*/${minutes} * * * *`,
        { signal: sweepAbort.signal },
        async () => {
          await relay.sweeper.sweep();
        },
      );
      return 'cron';
    } catch {
      // Deno.cron unavailable in this runtime configuration: fall through to an interval.
    }
  }
  sweepTimer = setInterval(() => void relay.sweeper.sweep(), config.sweepIntervalSeconds * 1000);
  return 'interval';
}
const sweepMode = scheduleSweeps();
const checkpointTimer = setInterval(
  () => void relay.sweeper.checkpoint(),
  config.walCheckpointSeconds * 1000,
);

function listening({ hostname, port }: { hostname: string; port: number }): void {
  log.info('relay.listening', {
    hostname,
    port,
    instance: config.instanceId,
    database: config.libsqlUrl.startsWith('file:') ? config.libsqlUrl : 'remote',
    sessionSigning: config.tokenSecretIsEphemeral ? 'ephemeral' : 'configured',
    sweeper: sweepMode,
    rateLimits: relay.limiterStore,
    fanout: relay.fanoutKind,
    httpServer: config.httpServer,
  });
}

const server: { shutdown(): Promise<void> } =
  nodeServer === undefined
    ? Deno.serve(
        { hostname: config.host, port: config.port, onListen: listening },
        (request, info) => relay.app.fetch(request, { remoteAddr: info.remoteAddr }),
      )
    : nodeServer;
await nodeServer?.listen(
  config.host,
  config.port,
  (request, remoteAddress) => relay.app.fetch(request, { remoteAddr: { hostname: remoteAddress } }),
  listening,
);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info('relay.stopping', { signal });
  sweepAbort.abort();
  if (sweepTimer !== undefined) clearInterval(sweepTimer);
  clearInterval(checkpointTimer);
  // Sockets first (refuse new ones, drain in-flight frames, close 1001), then the
  // listener (waits for in-flight HTTP requests), then fan-out and the database.
  await relay.hub.shutdown(config.shutdownGraceSeconds * 1000);
  await socketsClosed(2000);
  await server.shutdown();
  await relay.close(0);
  log.info('relay.stopped', {});
  Deno.exit(0);
}

Deno.addSignalListener('SIGINT', () => void shutdown('SIGINT'));
Deno.addSignalListener('SIGTERM', () => void shutdown('SIGTERM'));
