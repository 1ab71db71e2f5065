// The client pipeline against an in-process stand-in of the relay's routes
// (testing/fake-relay.ts): upload and download round trips, resume after an
// abort, retries, 307 redirects to another origin, and the typed failures.
import { sha256 } from '@noble/hashes/sha2.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readStream } from '../byte-streams.ts';
import { type Bytes, concat, equalBytes, fromBase64Url, toBase64Url } from '../bytes.ts';
import { systemRandom } from '../crypto/random.ts';
import { ErrorCode } from '../errors.ts';
import { errorOf } from '../testing/errors.ts';
import { downloadAttachment } from './download.ts';
import { newAttachmentKey } from './encrypt-file.ts';
import { attachmentBlobSize } from './format.ts';
import { CHUNKS_IN_FLIGHT } from './relay-http.ts';
import type { TransferDeps } from './retry.ts';
import { FakeRelay } from './testing/fake-relay.ts';
import { pieceListDigestOf } from './testing/piece-list-digest.ts';
import { type UploadOptions, uploadAttachment } from './upload.ts';

const deps: TransferDeps = {
  fetch: (input, init) => fetch(input, init),
  timers: {
    setTimeout: (callback, ms) => setTimeout(callback, ms),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  },
  random: systemRandom,
};
const retry = { policy: { baseMs: 2, maxMs: 10, recentCapMs: 10, recentWindowMs: 0 } };
const CHUNK = 50_000;

let relay: FakeRelay;
beforeEach(async () => {
  relay = new FakeRelay();
  await relay.start();
});
afterEach(async () => {
  await relay.stop();
});

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Bytes> {
  const parts: Uint8Array[] = [];
  for await (const part of readStream(stream)) parts.push(part);
  return concat(...parts);
}

/** A created upload on the fake relay and the options to upload `file` to it. */
function prepare(file: Uint8Array, extra: Partial<UploadOptions> = {}) {
  const id = toBase64Url(systemRandom(16));
  const created = relay.create(id, attachmentBlobSize(file.length), CHUNK);
  const options: UploadOptions = {
    relayUrl: `${relay.url}/`,
    created,
    source: new Blob([file as Bytes]),
    deps,
    retry,
    ...extra,
  };
  return { id, options };
}

function download(
  id: string,
  pointer: { key: Uint8Array; digest: Uint8Array; digestScheme?: number; size: number },
  signal?: AbortSignal,
) {
  const options = {
    relayUrl: relay.url,
    pointer: { id: fromBase64Url(id), ...pointer },
    deps,
    retry,
  };
  return downloadAttachment(signal === undefined ? options : { ...options, signal });
}

describe('upload and download', () => {
  for (const size of [0, 1, 200_000]) {
    it(`round trip of ${size} bytes; the digest is the stored blob's`, async () => {
      const file = systemRandom(size);
      const progress: number[] = [];
      const { id, options } = prepare(file, { onProgress: (p) => progress.push(p.doneBytes) });
      const up = await uploadAttachment(options);
      const blob = relay.blob(id);
      expect(blob.length).toBe(attachmentBlobSize(size));
      expect(up.digestScheme).toBe(2);
      expect(equalBytes(up.digest, pieceListDigestOf(blob))).toBe(true);
      expect(progress.at(-1)).toBe(blob.length);
      expect(equalBytes(await readAll(download(id, up)), file)).toBe(true);
    });
  }

  it('resumes after an abort with the stored key: only missing chunks are sent', async () => {
    const file = systemRandom(300_000);
    const key = newAttachmentKey(systemRandom);
    const controller = new AbortController();
    const { id, options } = prepare(file, {
      key,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.doneBytes >= 2 * CHUNK) controller.abort(new Error('page closed'));
      },
    });
    await expect(uploadAttachment(options)).rejects.toThrow('page closed');
    // Chunks 0 and 1 made it; those in flight at the abort may still arrive
    // (the relay had their bytes), during the resumed upload too.
    const before = [...relay.log].sort();
    expect(before.slice(0, 2)).toEqual(['PUT 0', 'PUT 1']);
    expect(before.length).toBeLessThanOrEqual(CHUNKS_IN_FLIGHT);
    const { signal: _s, onProgress: _p, ...rest } = options;
    const resumed = await uploadAttachment({ ...rest, source: new Blob([file]) });
    const after = relay.log.slice(before.length);
    const all = ['PUT 0', 'PUT 1', 'PUT 2', 'PUT 3', 'PUT 4', 'PUT 5', 'PUT 6'];
    expect(new Set(after)).toEqual(new Set(all.filter((p) => !before.includes(p))));
    expect(equalBytes(resumed.digest, pieceListDigestOf(relay.blob(id)))).toBe(true);
    expect(equalBytes(await readAll(download(id, resumed)), file)).toBe(true);
  });

  it('keeps several chunk PUTs open, never more than the bound, with progress in order', async () => {
    const file = systemRandom(400_000);
    const progress: number[] = [];
    const { id, options } = prepare(file, { onProgress: (p) => progress.push(p.doneBytes) });
    relay.putDelayMs = 20;
    const up = await uploadAttachment(options);
    expect(relay.maxInFlightPuts).toBeGreaterThan(1);
    expect(relay.maxInFlightPuts).toBeLessThanOrEqual(CHUNKS_IN_FLIGHT);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(attachmentBlobSize(file.length));
    expect(equalBytes(up.digest, pieceListDigestOf(relay.blob(id)))).toBe(true);
  });

  it('retries refused and dropped chunk uploads, then succeeds', async () => {
    const file = systemRandom(120_000);
    const { id, options } = prepare(file);
    relay.faults.failPuts = 2;
    relay.faults.dropPuts = 1;
    const up = await uploadAttachment(options);
    expect(relay.faults).toEqual({ failPuts: 0, dropPuts: 0 });
    expect(equalBytes(await readAll(download(id, up)), file)).toBe(true);
  });

  it('gives up after the attempts with the last retryable code', async () => {
    const { options } = prepare(systemRandom(10));
    relay.faults.failPuts = 100;
    const error = await errorOf(() =>
      uploadAttachment({ ...options, retry: { ...retry, attempts: 3 } }),
    );
    expect(error.code).toBe(ErrorCode.SHUTTING_DOWN);
    expect(relay.faults.failPuts).toBe(97);
  });

  it('passes a final relay refusal through without retrying', async () => {
    const { options } = prepare(systemRandom(10));
    const error = await errorOf(() =>
      uploadAttachment({ ...options, created: { ...options.created, uploadToken: 'wrong' } }),
    );
    expect(error.code).toBe(ErrorCode.AUTH_FAILED);
  });

  it('follows 307 redirects to another origin for chunks, without sending the token there', async () => {
    relay.redirectChunks = true;
    const file = systemRandom(120_000);
    const { id, options } = prepare(file);
    const up = await uploadAttachment(options);
    expect(relay.leakedAuth).toEqual([]);
    expect(equalBytes(await readAll(download(id, up)), file)).toBe(true);
  });

  it('refuses a file that is not the size the upload was created for', async () => {
    const { options } = prepare(systemRandom(100));
    const error = await errorOf(() =>
      uploadAttachment({ ...options, source: new Blob([new Uint8Array(99)]), size: 100 }),
    );
    expect(error.code).toBe(ErrorCode.ATTACHMENT_INVALID);
  });
});

describe('download failures', () => {
  async function uploaded(size = 120_000) {
    const file = systemRandom(size);
    const { id, options } = prepare(file);
    return { id, file, up: await uploadAttachment(options) };
  }

  it('an unknown or deleted attachment is ATTACHMENT_EXPIRED', async () => {
    const { id, up } = await uploaded();
    relay.uploads.delete(id);
    expect((await errorOf(() => readAll(download(id, up)))).code).toBe(
      ErrorCode.ATTACHMENT_EXPIRED,
    );
  });

  it('a flipped byte on the relay or a wrong digest is ATTACHMENT_TAMPERED', async () => {
    const { id, up } = await uploaded();
    const wrongDigest = { ...up, digest: new Uint8Array(32) };
    expect((await errorOf(() => readAll(download(id, wrongDigest)))).code).toBe(
      ErrorCode.ATTACHMENT_TAMPERED,
    );
    const wrongSize = { ...up, size: up.size + 50_000 };
    // A pointer that promises more than the relay holds: the chunk after the
    // last one is missing, which is how an attachment expiring mid-download looks.
    expect((await errorOf(() => readAll(download(id, wrongSize)))).code).toBe(
      ErrorCode.ATTACHMENT_EXPIRED,
    );
    const chunk = relay.uploads.get(id)?.chunks.get(1) as Uint8Array;
    chunk[17] = (chunk[17] as number) ^ 1;
    expect((await errorOf(() => readAll(download(id, up)))).code).toBe(
      ErrorCode.ATTACHMENT_TAMPERED,
    );
  });

  it("a pointer without a digest scheme carries the whole blob's SHA-256 (scheme 1)", async () => {
    const { id, up } = await uploaded();
    const { digestScheme: _scheme, ...rest } = up;
    const legacy = { ...rest, digest: sha256(relay.blob(id)) };
    expect(equalBytes(await readAll(download(id, legacy)), await readAll(download(id, up)))).toBe(
      true,
    );
    // Scheme 1 with a piece-list digest, and the reverse, fail.
    expect((await errorOf(() => readAll(download(id, rest)))).code).toBe(
      ErrorCode.ATTACHMENT_TAMPERED,
    );
    const crossed = { ...legacy, digestScheme: 2 };
    expect((await errorOf(() => readAll(download(id, crossed)))).code).toBe(
      ErrorCode.ATTACHMENT_TAMPERED,
    );
  });

  it('a digest scheme this version does not know is MESSAGE_VERSION, before any request', async () => {
    const { id, up } = await uploaded();
    const error = await errorOf(() => readAll(download(id, { ...up, digestScheme: 3 })));
    expect(error.code).toBe(ErrorCode.MESSAGE_VERSION);
    expect(error.details).toEqual({ digestScheme: 3 });
    expect(relay.gets).toEqual([]);
  });

  it('a blob cut short by the relay is ATTACHMENT_TAMPERED', async () => {
    const { id, up } = await uploaded();
    const chunks = relay.uploads.get(id)?.chunks as Map<number, Uint8Array>;
    const last = Math.max(...chunks.keys());
    chunks.set(last, (chunks.get(last) as Uint8Array).subarray(0, 10));
    chunks.set(last + 1, new Uint8Array(0));
    expect((await errorOf(() => readAll(download(id, up)))).code).toBe(
      ErrorCode.ATTACHMENT_TAMPERED,
    );
  });

  it('an abort ends the stream with the abort reason', async () => {
    const { id, up } = await uploaded();
    const controller = new AbortController();
    controller.abort(new Error('closed'));
    await expect(readAll(download(id, up, controller.signal))).rejects.toThrow('closed');
  });
});
