/**
 * Download of one attachment a pointer names (docs/client.md "Attachments"):
 * fetches the relay chunks a few at a time (each retried with backoff),
 * hashes the blob in order as it arrives, and decrypts it segment by segment. The plaintext
 * stream releases a segment only after its AEAD tag verified, and errors
 * with ATTACHMENT_TAMPERED before the final segment when the blob's digest
 * (digest.ts, in the pointer's scheme) is not the pointer's, when it is longer or shorter than the
 * pointer's size implies, or when any segment fails; ATTACHMENT_EXPIRED
 * when the relay no longer holds it. A consumer keeps the file only when the
 * stream closed without error.
 */

import { toReadableStream } from '../byte-streams.ts';
import { type Bytes, equalBytes, toBase64Url } from '../bytes.ts';
import { mapAhead } from '../map-ahead.ts';
import { type BlobDigester, digesterFor } from './digest.ts';
import { attachmentBlobSize, attachmentFormatOf, decryptAttachment, tampered } from './format.ts';
import { type AttachmentEndpoint, CHUNKS_IN_FLIGHT, getChunk } from './relay-http.ts';
import { type RetryOptions, type TransferDeps, withRetry } from './retry.ts';
import type { TransferProgress } from './upload.ts';

/** What a download needs of the pointer. */
export interface DownloadPointer {
  readonly id: Uint8Array;
  readonly key: Uint8Array;
  readonly digest: Uint8Array;
  /** The digest's scheme (digest.ts `DigestScheme`); absent: 1, the whole blob's SHA-256. */
  readonly digestScheme?: number | undefined;
  readonly size: number;
}

export interface DownloadOptions {
  readonly relayUrl: string;
  readonly pointer: DownloadPointer;
  readonly onProgress?: ((progress: TransferProgress) => void) | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly deps: TransferDeps;
  readonly retry?: RetryOptions | undefined;
  /** Chunk requests at once (default CHUNKS_IN_FLIGHT, relay-http.ts). */
  readonly chunksInFlight?: number | undefined;
}

function* range(from: number, to: number): Generator<number> {
  for (let i = from; i < to; i++) yield i;
}

/**
 * The blob's chunks in order. Chunk 0 comes alone: its header names the
 * format version, which with the pointer's size gives the blob's length
 * (`onLength`), and its length is the relay's chunk size, which says how many
 * chunks to expect; those are then fetched
 * up to CHUNKS_IN_FLIGHT at once (each retried on its own), so the round
 * trips overlap each other and the hashing and decryption downstream. A
 * relay whose chunks do not add up is asked chunk by chunk past that count,
 * which ends in the typed failures below.
 */
async function* blobChunks(
  options: DownloadOptions,
  onLength: (first: Bytes) => number,
): AsyncGenerator<Bytes> {
  const { signal, deps, retry } = options;
  const endpoint: AttachmentEndpoint = {
    relayUrl: options.relayUrl,
    id: toBase64Url(options.pointer.id),
    fetch: deps.fetch,
  };
  const load = (index: number, stop?: AbortSignal): Promise<Bytes> =>
    withRetry(() => getChunk({ ...endpoint, signal: stop }, index), deps, retry, stop);
  const first = await load(0, signal);
  const totalBytes = onLength(first);
  const count = first.length === 0 ? 1 : Math.ceil(totalBytes / first.length);
  const limit = options.chunksInFlight ?? CHUNKS_IN_FLIGHT;
  // Ours to abort when the consumer stops while a request is pending.
  const stop = new AbortController();
  const stopped = signal === undefined ? stop.signal : AbortSignal.any([signal, stop.signal]);
  const rest = mapAhead(range(1, count), limit, (index, _at, s) => load(index, s), stopped)[
    Symbol.asyncIterator
  ]();
  try {
    // Asked for before chunk 0 is handed on, so the next requests overlap its decryption.
    const next = rest.next();
    next.catch(() => undefined);
    yield first;
    for (let item = await next; item.done !== true; item = await rest.next()) yield item.value;
  } finally {
    stop.abort();
    await rest.return(undefined);
  }
  for (let index = count; ; index++) yield await load(index, signal);
}

async function* verifiedBlob(options: DownloadOptions, hash: BlobDigester): AsyncGenerator<Bytes> {
  const { pointer } = options;
  let totalBytes = 0;
  // The header's version byte is not trusted: it is authenticated with the
  // blob, so a changed one fails the digest or the first segment.
  const lengthOf = (first: Bytes): number => {
    totalBytes = attachmentBlobSize(pointer.size, attachmentFormatOf(first));
    return totalBytes;
  };
  let doneBytes = 0;
  for await (const chunk of blobChunks(options, lengthOf)) {
    if (chunk.length === 0) throw tampered('Attachment chunk is empty');
    doneBytes += chunk.length;
    if (doneBytes > totalBytes) throw tampered('Attachment is longer than its pointer says');
    await hash.update(chunk);
    options.onProgress?.({ doneBytes, totalBytes });
    yield chunk;
    if (doneBytes === totalBytes) break;
  }
  if (!equalBytes(await hash.digest(), pointer.digest)) {
    throw tampered('Attachment digest mismatch');
  }
}

/** The file's plaintext, verified as it streams. */
export function downloadAttachment(options: DownloadOptions): ReadableStream<Uint8Array> {
  const { pointer } = options;
  // A cancel of the stream aborts the chunk requests in flight, as the caller's signal does.
  const cancel = new AbortController();
  const signal =
    options.signal === undefined ? cancel.signal : AbortSignal.any([options.signal, cancel.signal]);
  async function* plaintext(): AsyncGenerator<Bytes> {
    // Before any request, and outside decryptAttachment (whose failures are all
    // ATTACHMENT_TAMPERED): a digest scheme this version does not know is MESSAGE_VERSION.
    const hash = await digesterFor(pointer.digestScheme);
    yield* decryptAttachment(pointer.key, pointer.size, verifiedBlob({ ...options, signal }, hash));
  }
  return toReadableStream(plaintext(), () => cancel.abort());
}
