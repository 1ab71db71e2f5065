// Hashing a blob on another thread: the page-side client (hash-worker-client.ts)
// and the worker-side service (hash-service.ts), first over an in-memory port
// the test steps by hand (order, the bound on queued bytes, failures), then
// on a real worker thread inside an upload and a download.
import { sha256 } from '@noble/hashes/sha2.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStream } from '../byte-streams.ts';
import { type Bytes, concat, equalBytes, fromBase64Url, toBase64Url } from '../bytes.ts';
import { systemRandom } from '../crypto/random.ts';
import { ErrorCode } from '../errors.ts';
import { errorOf } from '../testing/errors.ts';
import { downloadAttachment } from './download.ts';
import { attachmentBlobSize } from './format.ts';
import { type HashReply, type HashRequest, serveHashes } from './hash-service.ts';
import { workerHasher } from './hash-worker-client.ts';
import type { TransferDeps } from './retry.ts';
import { FakeRelay } from './testing/fake-relay.ts';
import { type NodeHashWorker, startNodeHashWorker } from './testing/node-hash-worker.ts';
import { nodeTransferDeps } from './testing/relay-upload.ts';
import { uploadAttachment } from './upload.ts';

/** A port whose requests wait in `queue` until the test delivers them to the service. */
function steppedPort() {
  const queue: HashRequest[] = [];
  let onReply: (reply: HashReply) => void = () => undefined;
  let onBroken: (message: string) => void = () => undefined;
  const serve = serveHashes((reply) => onReply(reply));
  return {
    queue,
    port: {
      post: (request: HashRequest) => queue.push(request),
      listen: (reply: (r: HashReply) => void, broken: (m: string) => void) => {
        onReply = reply;
        onBroken = broken;
      },
    },
    /** Hands every queued request to the service and lets its replies arrive. */
    async deliver(): Promise<void> {
      for (let request = queue.shift(); request; request = queue.shift()) serve(request);
      await new Promise((resolve) => setTimeout(resolve, 10));
    },
    /** Lets the service answer by hand (a forged reply). */
    reply: (reply: HashReply) => onReply(reply),
    breakWorker: (message: string) => onBroken(message),
  };
}

const settled = async <T>(promise: Promise<T>): Promise<boolean> => {
  let done = false;
  promise.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  await new Promise((resolve) => setTimeout(resolve, 10));
  return done;
};

describe('hashing over a port', () => {
  it('digests pieces of several blobs in their own order, the caller keeping its bytes', async () => {
    const stepped = steppedPort();
    const factory = workerHasher(stepped.port);
    const a = systemRandom(100_000);
    const b = systemRandom(70_000);
    const [ha, hb] = [await factory(), await factory()];
    for (let at = 0; at < 100_000; at += 30_000) {
      const piece = a.subarray(at, at + 30_000);
      await ha.update(piece);
      expect(piece.length).toBe(Math.min(30_000, 100_000 - at)); // not transferred away
      if (at < 70_000) await hb.update(b.subarray(at, at + 30_000));
    }
    const digests = Promise.all([ha.digest(), hb.digest()]);
    await stepped.deliver();
    const [da, db] = await digests;
    expect(equalBytes(da, sha256(a))).toBe(true);
    expect(equalBytes(db, sha256(b))).toBe(true);
  });

  it('holds an update past the bound until the worker has hashed what was queued', async () => {
    const stepped = steppedPort();
    const hasher = await workerHasher(stepped.port, 1_000)();
    await hasher.update(new Uint8Array(600));
    const blocked = hasher.update(new Uint8Array(600));
    expect(await settled(blocked)).toBe(false);
    await stepped.deliver();
    expect(await settled(blocked)).toBe(true);
    const digest = hasher.digest();
    await stepped.deliver();
    expect(equalBytes(await digest, sha256(new Uint8Array(1_200)))).toBe(true);
  });

  it('fails the blob when the worker reports a failure or breaks, and forgets a disposed one', async () => {
    const stepped = steppedPort();
    const factory = workerHasher(stepped.port, 1_000);
    const failing = await factory();
    const digest = failing.digest();
    stepped.reply({ type: 'failed', id: 1, message: 'wasm trap' });
    expect((await errorOf(() => digest)).code).toBe(ErrorCode.INTERNAL);

    const disposed = await factory();
    await disposed.update(new Uint8Array(10));
    disposed.dispose();
    expect(stepped.queue.at(-1)).toEqual({ type: 'drop', id: 2 });

    const waiting = await factory();
    const blocked = waiting.update(new Uint8Array(2_000));
    stepped.breakWorker('worker exited');
    expect((await errorOf(() => blocked)).code).toBe(ErrorCode.INTERNAL);
    expect((await errorOf(() => factory())).code).toBe(ErrorCode.INTERNAL);
  });
});

describe('hashing on a worker thread during transfers', () => {
  let relay: FakeRelay;
  let worker: NodeHashWorker;
  let deps: TransferDeps;
  beforeAll(async () => {
    relay = new FakeRelay();
    await relay.start();
    worker = startNodeHashWorker(100_000);
    deps = { ...nodeTransferDeps, hasher: worker.hasher };
  });
  afterAll(async () => {
    await worker.close();
    await relay.stop();
  });

  it('uploads and downloads with the digest of the stored blob; a wrong digest is tampered', async () => {
    const file = systemRandom(700_000);
    const id = toBase64Url(systemRandom(16));
    const created = relay.create(id, attachmentBlobSize(file.length), 50_000);
    const up = await uploadAttachment({
      relayUrl: relay.url,
      created,
      source: new Blob([file as Bytes]),
      deps,
    });
    expect(equalBytes(up.digest, sha256(relay.blob(id)))).toBe(true);
    const pointer = { id: fromBase64Url(id), key: up.key, digest: up.digest, size: up.size };
    const parts: Uint8Array[] = [];
    for await (const part of readStream(downloadAttachment({ relayUrl: relay.url, pointer, deps })))
      parts.push(part);
    expect(equalBytes(concat(...parts), file)).toBe(true);

    const wrong = { ...pointer, digest: sha256(file) };
    const stream = downloadAttachment({ relayUrl: relay.url, pointer: wrong, deps });
    const error = await errorOf(async () => {
      for await (const _ of readStream(stream));
    });
    expect(error.code).toBe(ErrorCode.ATTACHMENT_TAMPERED);
  });
});
