/**
 * TEST INFRASTRUCTURE, NOT PRODUCT. A small HTTP server that speaks the
 * subset of Upstash's REST protocol @upstash/redis uses, in front of a real
 * redis-server, so the relay's Upstash code paths (fan-out, rate limits) run
 * against real Redis semantics in tests without any network. It has no
 * notion of Upstash accounts, limits, TLS or durability; never expose it.
 *
 * The protocol, as @upstash/redis 1.x speaks it:
 *  - every request: POST, `Authorization: Bearer <token>` (else 401);
 *  - `POST /` with a JSON array `["CMD", arg, ...]` -> `{"result": ...}` or
 *    `{"error": "..."}` (status 400);
 *  - `POST /pipeline` and `POST /multi-exec` with an array of commands ->
 *    an array of `{"result"}` / `{"error"}`;
 *  - with `Upstash-Encoding: base64`, every bulk string in a result is
 *    base64 (the client decodes it); integers and nil stay as they are;
 *  - `POST /subscribe/<channel>` (and `/psubscribe/<pattern>`) answers
 *    `text/event-stream` with `data: subscribe,<channel>,<count>` and then
 *    `data: message,<channel>,<payload>` per published message (payloads
 *    are text: publishers send base64 for binary).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';

export interface UpstashRestServer {
  readonly url: string;
  readonly token: string;
  /** Requests served, by path kind (for tests that want to see traffic). */
  readonly requests: Map<string, number>;
  /** Ends every open subscribe stream (as a proxy dropping connections would). */
  dropStreams(): void;
  close(): Promise<void>;
}

type Reply = Buffer | string | number | null | Reply[] | Error;

function encodeReply(reply: Reply, base64: boolean): unknown {
  if (reply === null || typeof reply === 'number') return reply;
  if (Array.isArray(reply)) return reply.map((r) => encodeReply(r, base64));
  if (reply instanceof Error) return null;
  const buffer = typeof reply === 'string' ? Buffer.from(reply) : reply;
  return base64 ? buffer.toString('base64') : buffer.toString('utf8');
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? null : (JSON.parse(text) as unknown);
}

function isCommand(value: unknown): value is (string | number)[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((v) => typeof v === 'string' || typeof v === 'number')
  );
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/** Starts the endpoint on 127.0.0.1 (a free port) in front of redis at `redisUrl`. */
export async function startUpstashRestServer(
  redisUrl: string,
  token = 'test-token',
): Promise<UpstashRestServer> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  const streams = new Set<{ response: ServerResponse; subscriber: Redis }>();
  const requests = new Map<string, number>();

  async function run(command: (string | number)[]): Promise<Reply> {
    const [name, ...args] = command.map(String);
    return (await redis.callBuffer(name as string, ...args)) as Reply;
  }

  function subscribe(request: IncomingMessage, response: ServerResponse, path: string[]): void {
    const [kind, ...targets] = path;
    const pattern = kind === 'psubscribe';
    const subscriber = new Redis(redisUrl, { maxRetriesPerRequest: null });
    subscriber.on('error', () => {});
    const stream = { response, subscriber };
    streams.add(stream);
    response.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    const write = (line: string) => {
      if (!response.writableEnded) response.write(`data: ${line}\n\n`);
    };
    subscriber.on('message', (channel: string, message: string) =>
      write(`message,${channel},${message}`),
    );
    subscriber.on('pmessage', (p: string, channel: string, message: string) =>
      write(`pmessage,${p},${channel},${message}`),
    );
    const done = (pattern ? subscriber.psubscribe(...targets) : subscriber.subscribe(...targets))
      .then((count) => {
        for (const t of targets) write(`${pattern ? 'psubscribe' : 'subscribe'},${t},${count}`);
      })
      .catch(() => response.end());
    const end = () => {
      streams.delete(stream);
      subscriber.disconnect();
    };
    request.on('close', end);
    response.on('close', end);
    void done;
  }

  const server: Server = createServer((request, response) => {
    void (async () => {
      if (request.headers.authorization !== `Bearer ${token}`) {
        send(response, 401, { error: 'Unauthorized' });
        return;
      }
      const base64 = request.headers['upstash-encoding'] === 'base64';
      const path = (request.url ?? '/')
        .split('?')[0]
        ?.split('/')
        .filter((p) => p !== '')
        .map(decodeURIComponent) ?? [''];
      const kind = path[0] ?? 'command';
      requests.set(kind, (requests.get(kind) ?? 0) + 1);
      if (kind === 'subscribe' || kind === 'psubscribe') {
        subscribe(request, response, path);
        return;
      }
      const body = await readJson(request);
      if (kind === 'pipeline' || kind === 'multi-exec') {
        if (!Array.isArray(body) || !body.every(isCommand)) {
          send(response, 400, { error: 'ERR expected an array of commands' });
          return;
        }
        const batch = kind === 'multi-exec' ? redis.multi() : redis.pipeline();
        for (const command of body) {
          const [name, ...args] = command.map(String);
          batch.callBuffer(name as string, ...args);
        }
        const results = (await batch.exec()) ?? [];
        const out = results.map(([error, reply]) =>
          error === null
            ? { result: encodeReply(reply as Reply, base64) }
            : { error: error.message },
        );
        send(response, 200, out);
        return;
      }
      if (!isCommand(body)) {
        send(response, 400, { error: 'ERR expected a command array' });
        return;
      }
      try {
        send(response, 200, { result: encodeReply(await run(body), base64) });
      } catch (error) {
        send(response, 400, { error: error instanceof Error ? error.message : String(error) });
      }
    })().catch((error: unknown) => {
      if (!response.headersSent)
        send(response, 500, { error: error instanceof Error ? error.message : 'internal' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    requests,
    dropStreams() {
      for (const s of [...streams]) {
        s.response.end();
        s.subscriber.disconnect();
      }
      streams.clear();
    },
    async close() {
      for (const s of streams) {
        s.response.end();
        s.subscriber.disconnect();
      }
      streams.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      redis.disconnect();
    },
  };
}
