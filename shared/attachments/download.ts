/**
 * Download of one attachment a pointer names (docs/client.md "Attachments"):
 * fetches the relay chunks in order (each retried with backoff), hashes the
 * blob as it arrives, and decrypts it segment by segment. The plaintext
 * stream releases a segment only after its AEAD tag verified, and errors
 * with ATTACHMENT_TAMPERED before the final segment when the blob's SHA-256
 * is not the pointer's digest, when it is longer or shorter than the
 * pointer's size implies, or when any segment fails; ATTACHMENT_EXPIRED
 * when the relay no longer holds it. A consumer keeps the file only when the
 * stream closed without error.
 */

import { readAhead, toReadableStream } from '../byte-streams.ts';
import { type Bytes, equalBytes, toBase64Url } from '../bytes.ts';
import { createBlobDigest } from './digest.ts';
import { attachmentBlobSize, decryptAttachment, tampered } from './format.ts';
import { type AttachmentEndpoint, getChunk } from './relay-http.ts';
import { type RetryOptions, type TransferDeps, withRetry } from './retry.ts';
import type { TransferProgress } from './upload.ts';

/** What a download needs of the pointer. */
export interface DownloadPointer {
  readonly id: Uint8Array;
  readonly key: Uint8Array;
  readonly digest: Uint8Array;
  readonly size: number;
}

export interface DownloadOptions {
  readonly relayUrl: string;
  readonly pointer: DownloadPointer;
  readonly onProgress?: ((progress: TransferProgress) => void) | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly deps: TransferDeps;
  readonly retry?: RetryOptions | undefined;
}

async function* verifiedBlob(options: DownloadOptions): AsyncGenerator<Bytes> {
  const { pointer, signal } = options;
  const endpoint: AttachmentEndpoint = {
    relayUrl: options.relayUrl,
    id: toBase64Url(pointer.id),
    fetch: options.deps.fetch,
    signal,
  };
  const totalBytes = attachmentBlobSize(pointer.size);
  const hash = await createBlobDigest();
  let doneBytes = 0;
  for (let index = 0; doneBytes < totalBytes; index++) {
    const chunk = await withRetry(
      () => getChunk(endpoint, index),
      options.deps,
      options.retry,
      signal,
    );
    if (chunk.length === 0) throw tampered('Attachment chunk is empty');
    doneBytes += chunk.length;
    if (doneBytes > totalBytes) throw tampered('Attachment is longer than its pointer says');
    hash.update(chunk);
    options.onProgress?.({ doneBytes, totalBytes });
    yield chunk;
  }
  if (!equalBytes(hash.digest(), pointer.digest)) throw tampered('Attachment digest mismatch');
}

/** The file's plaintext, verified as it streams. */
export function downloadAttachment(options: DownloadOptions): ReadableStream<Uint8Array> {
  const { pointer } = options;
  return toReadableStream(
    decryptAttachment(pointer.key, pointer.size, readAhead(verifiedBlob(options))),
  );
}
