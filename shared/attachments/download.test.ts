// The download's concurrency (docs/client.md "Attachments"): several chunk
// requests in flight, never more than the bound, the plaintext still in
// order, a failing chunk retried on its own, and a cancel that aborts the
// open requests. Against the in-process stand-in of the relay's routes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readStream } from '../byte-streams.ts';
import { type Bytes, concat, equalBytes, toBase64Url } from '../bytes.ts';
import { systemRandom } from '../crypto/random.ts';
import { type DownloadOptions, downloadAttachment } from './download.ts';
import { type AttachmentFormatVersion, attachmentBlobSize } from './format.ts';
import { CHUNKS_IN_FLIGHT } from './relay-http.ts';
import type { TransferDeps } from './retry.ts';
import { FakeRelay } from './testing/fake-relay.ts';
import { uploadAttachment } from './upload.ts';

const deps: TransferDeps = {
  fetch: (input, init) => fetch(input, init),
  timers: {
    setTimeout: (callback, ms) => setTimeout(callback, ms),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  },
  random: systemRandom,
};
const retry = { policy: { baseMs: 2, maxMs: 10, recentCapMs: 10, recentWindowMs: 0 } };
const CHUNK = 200_000;
/** 16 chunks of the blob (the file pads to its bucket), three 1 MiB segments. */
const FILE_BYTES = 3_000_000;

let relay: FakeRelay;
beforeEach(async () => {
  relay = new FakeRelay();
  await relay.start();
});
afterEach(async () => {
  await relay.stop();
});

async function uploaded(
  formatVersion: AttachmentFormatVersion = 2,
  bytes = FILE_BYTES,
): Promise<{ file: Bytes; options: DownloadOptions }> {
  const file = systemRandom(bytes);
  const id = systemRandom(16);
  const created = relay.create(
    toBase64Url(id),
    attachmentBlobSize(file.length, formatVersion),
    CHUNK,
  );
  const up = await uploadAttachment({
    relayUrl: relay.url,
    created,
    source: new Blob([file]),
    deps,
    formatVersion,
  });
  return { file, options: { relayUrl: relay.url, pointer: { ...up, id }, deps, retry } };
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Bytes> {
  const parts: Uint8Array[] = [];
  for await (const part of readStream(stream)) parts.push(part);
  return concat(...parts);
}

function chunkCount(): number {
  return Math.ceil(attachmentBlobSize(FILE_BYTES) / CHUNK);
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(condition()).toBe(true);
}

describe('download concurrency', () => {
  it('keeps several chunk requests open, never more than the bound, and yields the file in order', async () => {
    const { file, options } = await uploaded();
    expect(chunkCount()).toBeGreaterThan(2 * CHUNKS_IN_FLIGHT);
    // Later chunks answer sooner: completions arrive out of order.
    relay.getDelayMs = (index) => (index % CHUNKS_IN_FLIGHT === 1 ? 40 : 5);
    expect(equalBytes(await readAll(downloadAttachment(options)), file)).toBe(true);
    expect(relay.maxInFlightGets).toBeGreaterThan(1);
    expect(relay.maxInFlightGets).toBeLessThanOrEqual(CHUNKS_IN_FLIGHT);
    expect([...relay.gets].sort((a, b) => a - b)).toEqual([...Array(chunkCount()).keys()]);
  });

  it('honours a smaller bound', async () => {
    const { file, options } = await uploaded();
    relay.getDelayMs = () => 5;
    const stream = downloadAttachment({ ...options, chunksInFlight: 2 });
    expect(equalBytes(await readAll(stream), file)).toBe(true);
    expect(relay.maxInFlightGets).toBe(2);
  });

  it('retries a failing chunk on its own while the others go on', async () => {
    const { file, options } = await uploaded();
    relay.failingGets.set(3, 2);
    relay.failingGets.set(7, 1);
    expect(equalBytes(await readAll(downloadAttachment(options)), file)).toBe(true);
    const times = (index: number) => relay.gets.filter((i) => i === index).length;
    expect([times(3), times(7), times(0), times(5)]).toEqual([3, 2, 1, 1]);
  });

  it('a cancel mid-flight aborts the open chunk requests and starts no more', async () => {
    const { options } = await uploaded();
    // Past the chunks the first two 1 MiB segments lie in (the second tells
    // the first is not the last), so a first read returns.
    relay.holdGetsFrom = Math.ceil((31 + 2 * (1024 * 1024 + 16)) / CHUNK);
    expect(relay.holdGetsFrom + CHUNKS_IN_FLIGHT).toBeLessThanOrEqual(chunkCount());
    const reader = downloadAttachment(options).getReader();
    expect((await reader.read()).done).toBe(false);
    await until(() => relay.inFlightGets === CHUNKS_IN_FLIGHT);
    const seen = relay.gets.length;
    await reader.cancel();
    // The relay saw every held request's connection close unanswered.
    await until(() => relay.abortedGets === CHUNKS_IN_FLIGHT);
    relay.releaseGets();
    await new Promise((r) => setTimeout(r, 50));
    expect(relay.gets.length).toBe(seen);
  });

  it('reads a PRLA v1 blob (its header says which format, hence the length)', async () => {
    const { file, options } = await uploaded(1, 230_000);
    expect(attachmentBlobSize(file.length, 1)).not.toBe(attachmentBlobSize(file.length, 2));
    expect(equalBytes(await readAll(downloadAttachment(options)), file)).toBe(true);
  });
});
