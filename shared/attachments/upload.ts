/**
 * Upload of one attachment to an upload the background already created
 * (docs/client.md "Attachments"): asks the relay which chunks it holds,
 * encrypts the file again from its key (identical bytes), PUTs only the
 * missing chunks, a few at once and each retried with backoff, then
 * completes (after every PUT succeeded). Interrupted at
 * any point (network, closed page, restarted browser), the same call with
 * the same key resumes where the relay stopped.
 */

import type { Bytes } from '../bytes.ts';
import { mapAhead } from '../map-ahead.ts';
import { CURRENT_DIGEST_SCHEME } from './digest.ts';
import { encryptFile, type FileSource, newAttachmentKey } from './encrypt-file.ts';
import type { AttachmentFormatVersion } from './format.ts';
import {
  type AttachmentEndpoint,
  CHUNKS_IN_FLIGHT,
  completeUpload,
  putChunk,
  uploadStatus,
} from './relay-http.ts';
import { type RetryOptions, type TransferDeps, withRetry } from './retry.ts';

/** The parts of the relay's create response an upload needs. */
export interface CreatedUpload {
  readonly id: string;
  readonly chunkBytes: number;
  readonly uploadToken: string;
}

export interface TransferProgress {
  readonly doneBytes: number;
  readonly totalBytes: number;
}

export interface UploadOptions {
  readonly relayUrl: string;
  readonly created: CreatedUpload;
  /** The file; a Blob or File gives its own size. */
  readonly source: FileSource;
  /** Plaintext bytes; required unless `source` is a Blob. */
  readonly size?: number | undefined;
  /** The file key; a fresh one when absent. Pass the stored key to resume. */
  readonly key?: Uint8Array | undefined;
  /** The blob format (format.ts; default the current one). Pass the stored one to resume. */
  readonly formatVersion?: AttachmentFormatVersion | undefined;
  readonly onProgress?: ((progress: TransferProgress) => void) | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly deps: TransferDeps;
  readonly retry?: RetryOptions | undefined;
  /** Chunk PUTs at once (default CHUNKS_IN_FLIGHT, relay-http.ts): the next chunks are encrypted while earlier ones are on the wire. */
  readonly chunksInFlight?: number | undefined;
}

export interface UploadResult {
  readonly key: Bytes;
  /** The blob's digest and its scheme (digest.ts): both go into the pointer. */
  readonly digest: Bytes;
  readonly digestScheme: number;
  /** Plaintext bytes: goes into the pointer. */
  readonly size: number;
  /** Blob bytes, as declared at create. */
  readonly blobSize: number;
}

function sizeOf(options: UploadOptions): number {
  if (options.size !== undefined) return options.size;
  if (typeof Blob !== 'undefined' && options.source instanceof Blob) return options.source.size;
  throw new TypeError('uploadAttachment: size is required for a stream source');
}

export async function uploadAttachment(options: UploadOptions): Promise<UploadResult> {
  const { created, signal } = options;
  const size = sizeOf(options);
  const endpoint: AttachmentEndpoint = {
    relayUrl: options.relayUrl,
    id: created.id,
    fetch: options.deps.fetch,
    signal,
  };
  const { deps, retry } = options;
  const token = created.uploadToken;
  const received = new Set(
    await withRetry(() => uploadStatus(endpoint, token), deps, retry, signal),
  );
  const key = options.key ?? newAttachmentKey(deps.random);
  const file = encryptFile(options.source, size, {
    key,
    chunkBytes: created.chunkBytes,
    formatVersion: options.formatVersion,
  });
  const put = async (chunk: Bytes, at: number, stop: AbortSignal): Promise<number> => {
    if (!received.has(at)) {
      const target = { ...endpoint, signal: stop };
      await withRetry(() => putChunk(target, token, at, chunk), deps, retry, stop);
    }
    return chunk.length;
  };
  const limit = options.chunksInFlight ?? CHUNKS_IN_FLIGHT;
  let doneBytes = 0;
  for await (const length of mapAhead(file.chunks, limit, put, signal)) {
    doneBytes += length;
    options.onProgress?.({ doneBytes, totalBytes: file.blobSize });
  }
  await withRetry(() => completeUpload(endpoint, token), deps, retry, signal);
  return {
    key: file.key,
    digest: await file.digest,
    digestScheme: CURRENT_DIGEST_SCHEME,
    size,
    blobSize: file.blobSize,
  };
}
