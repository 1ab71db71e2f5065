/**
 * A tiny in-process stand-in for the relay's attachment routes
 * (docs/wire.md "Attachments"), for the pure unit tests of the client
 * pipeline only: uploads with a bearer token, status, complete, chunk GET,
 * optional 307 redirects of chunk requests to a second origin (the S3
 * backend's shape), and faults to inject. The real relay is exercised by
 * shared/attachments/transfer.process.test.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Upload {
  token: string;
  size: number;
  chunkBytes: number;
  chunks: Map<number, Uint8Array>;
  complete: boolean;
}

export interface FakeRelayFaults {
  /** Answer the next N chunk PUTs with 503 and the relay's error body. */
  failPuts: number;
  /** Destroy the socket of the next N chunk PUTs before answering. */
  dropPuts: number;
}

export class FakeRelay {
  readonly uploads = new Map<string, Upload>();
  readonly faults: FakeRelayFaults = { failPuts: 0, dropPuts: 0 };
  /** Requests seen, as "METHOD path" (chunk PUTs that reached a handler). */
  readonly log: string[] = [];
  /** Authorization headers that reached the redirect target (must stay empty). */
  readonly leakedAuth: string[] = [];
  redirectChunks = false;
  /** Chunk index -> how many more GETs of it answer 503 (retryable). */
  readonly failingGets = new Map<number, number>();
  /** Delay before answering a chunk GET, by index (to make answers finish out of order). */
  getDelayMs: (index: number) => number = () => 0;
  /** Chunk GETs of this index or later wait until `releaseGets()`. */
  holdGetsFrom = Number.POSITIVE_INFINITY;
  /** Chunk indexes GET, in arrival order. */
  readonly gets: number[] = [];
  inFlightGets = 0;
  /** Delay before storing a chunk PUT (so several are open at once). */
  putDelayMs = 0;
  inFlightPuts = 0;
  maxInFlightPuts = 0;
  maxInFlightGets = 0;
  /** Chunk GETs whose connection the client closed before the answer was complete. */
  abortedGets = 0;
  #releaseGets: () => void = () => undefined;
  #getsReleased = new Promise<void>((resolve) => {
    this.#releaseGets = resolve;
  });
  #relay: Server | undefined;
  #store: Server | undefined;
  url = '';
  #storeUrl = '';

  async start(): Promise<void> {
    this.#relay = await listen((req, res) => void this.#handleRelay(req, res));
    this.#store = await listen((req, res) => void this.#handleStore(req, res), '0.0.0.0');
    this.url = `http://127.0.0.1:${(this.#relay.address() as AddressInfo).port}`;
    // Another host of the loopback net: another origin, as a presigned S3 URL is.
    this.#storeUrl = `http://127.0.0.2:${(this.#store.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#releaseGets();
    for (const server of [this.#relay, this.#store]) {
      server?.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
    }
  }

  /** What the background's create call would have done; returns the create response. */
  create(id: string, size: number, chunkBytes: number) {
    const token = `token-${id}`;
    this.uploads.set(id, { token, size, chunkBytes, chunks: new Map(), complete: false });
    return { id, chunkBytes, uploadToken: token };
  }

  /** The stored blob, chunks in order. */
  blob(id: string): Uint8Array {
    const upload = this.uploads.get(id);
    if (upload === undefined) throw new Error('no such upload');
    const parts = [...upload.chunks.entries()].sort(([a], [b]) => a - b).map(([, c]) => c);
    return Buffer.concat(parts);
  }

  async #handleRelay(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = /^\/v1\/attachments\/([^/]+)(\/status|\/complete|\/chunks\/(\d+))?$/.exec(
      req.url ?? '',
    );
    const upload = match === null ? undefined : this.uploads.get(match[1] as string);
    if (req.method === 'PUT') this.#countPut(res);
    const body = await readBody(req);
    if (match === null || upload === undefined) return error(res, 404, 'NOT_FOUND');
    const [, id, suffix, indexText] = match as unknown as [string, string, string?, string?];
    const authorized = req.headers.authorization === `Bearer ${upload.token}`;
    const index = Number(indexText);
    if (req.method === 'PUT' && indexText !== undefined) {
      if (!authorized) return error(res, 401, 'AUTH_FAILED');
      if (this.faults.dropPuts > 0) {
        this.faults.dropPuts--;
        req.socket.destroy();
        return;
      }
      if (this.faults.failPuts > 0) {
        this.faults.failPuts--;
        return error(res, 503, 'SHUTTING_DOWN');
      }
      if (this.redirectChunks) return redirect(res, `${this.#storeUrl}/${id}/${index}`);
      return this.#storeChunk(upload, index, body, res);
    }
    if (req.method === 'GET' && indexText !== undefined) {
      const chunk = upload.chunks.get(index);
      if (!upload.complete || chunk === undefined) return error(res, 404, 'NOT_FOUND');
      if (this.redirectChunks) return redirect(res, `${this.#storeUrl}/${id}/${index}`);
      return this.#answerGet(index, chunk, res);
    }
    if (!authorized) return error(res, 401, 'AUTH_FAILED');
    if (req.method === 'GET' && suffix === '/status') {
      json(res, 200, { received: [...upload.chunks.keys()] });
      return;
    }
    if (req.method === 'POST' && suffix === '/complete') {
      const count = Math.ceil(upload.size / upload.chunkBytes);
      for (let i = 0; i < count; i++) {
        const expected = i === count - 1 ? upload.size - i * upload.chunkBytes : upload.chunkBytes;
        if (upload.chunks.get(i)?.length !== expected) return error(res, 400, 'ATTACHMENT_INVALID');
      }
      upload.complete = true;
      json(res, 200, {});
      return;
    }
    error(res, 404, 'NOT_FOUND');
  }

  #countPut(res: ServerResponse): void {
    this.inFlightPuts++;
    this.maxInFlightPuts = Math.max(this.maxInFlightPuts, this.inFlightPuts);
    res.on('close', () => this.inFlightPuts--);
  }

  /** Lets held chunk GETs answer. */
  releaseGets(): void {
    this.#releaseGets();
  }

  async #answerGet(index: number, chunk: Uint8Array, res: ServerResponse): Promise<void> {
    this.gets.push(index);
    this.inFlightGets++;
    this.maxInFlightGets = Math.max(this.maxInFlightGets, this.inFlightGets);
    res.on('close', () => {
      this.inFlightGets--;
      if (!res.writableFinished) this.abortedGets++;
    });
    const failures = this.failingGets.get(index) ?? 0;
    if (failures > 0) {
      this.failingGets.set(index, failures - 1);
      return error(res, 503, 'SHUTTING_DOWN');
    }
    if (index >= this.holdGetsFrom) await this.#getsReleased;
    const delay = this.getDelayMs(index);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    if (!res.destroyed)
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(chunk);
  }

  async #storeChunk(
    upload: Upload,
    index: number,
    body: Uint8Array,
    res: ServerResponse,
  ): Promise<void> {
    if (this.putDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.putDelayMs));
    this.log.push(`PUT ${index}`);
    const count = Math.ceil(upload.size / upload.chunkBytes);
    const expected =
      index === count - 1 ? upload.size - index * upload.chunkBytes : upload.chunkBytes;
    if (index >= count || body.length !== expected) {
      error(res, 400, 'ATTACHMENT_INVALID');
      return;
    }
    upload.chunks.set(index, body);
    res.writeHead(204).end();
  }

  async #handleStore(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (req.headers.authorization !== undefined) this.leakedAuth.push(req.headers.authorization);
    const [, id = '', indexText = ''] = (req.url ?? '').split('/');
    const upload = this.uploads.get(id);
    if (upload === undefined) return error(res, 404, 'NOT_FOUND');
    if (req.method === 'PUT') return this.#storeChunk(upload, Number(indexText), body, res);
    const chunk = upload.chunks.get(Number(indexText));
    if (chunk === undefined) return error(res, 404, 'NOT_FOUND');
    res.writeHead(200).end(chunk);
  }
}

function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  host = '127.0.0.1',
): Promise<Server> {
  const server = createServer(handler);
  return new Promise((resolve) => server.listen(0, host, () => resolve(server)));
}

async function readBody(req: IncomingMessage): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return new Uint8Array(Buffer.concat(parts));
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function error(res: ServerResponse, status: number, code: string): void {
  json(res, status, { error: { code, message: code } });
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(307, { location }).end();
}
