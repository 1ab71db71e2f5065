/**
 * A file as the relay stores it: encrypted (format.ts) and cut into the
 * relay's transport chunks of `chunkBytes`, with the blob's digest
 * (digest.ts) computed on the way. Streams: at most one chunk and one AEAD segment
 * are in memory. Given the same key and file, the chunks are byte-identical,
 * which is what lets an upload resume after a restart (upload.ts).
 */

import { type ByteSource, readStream, rechunk } from '../byte-streams.ts';
import type { Bytes } from '../bytes.ts';
import type { Random } from '../crypto/random.ts';
import { pieceListDigester } from './digest.ts';
import {
  ATTACHMENT_FORMAT_VERSION,
  ATTACHMENT_KEY_BYTES,
  type AttachmentFormatVersion,
  attachmentBlobSize,
  encryptAttachment,
} from './format.ts';

export type FileSource = ReadableStream<Uint8Array> | Blob | ByteSource;

export interface EncryptFileOptions {
  /** The file key (`newAttachmentKey`); the stored one to resume. */
  readonly key: Uint8Array;
  /** The relay's transport chunk size (the create response's `chunkBytes`). */
  readonly chunkBytes: number;
  /** The blob format (format.ts); a resumed upload keeps the one it began with. */
  readonly formatVersion?: AttachmentFormatVersion | undefined;
}

export interface EncryptedFile {
  readonly key: Bytes;
  /** Bytes of the blob (what `create` declares as `size`). */
  readonly blobSize: number;
  /** The blob in relay chunks, in order; iterate once. */
  readonly chunks: AsyncIterable<Bytes>;
  /** The blob's digest (digest.ts, scheme PIECE_LIST); settles when `chunks` has been iterated to the end. */
  readonly digest: Promise<Bytes>;
}

/** A fresh file key: 32 random bytes, used for this one file only. */
export function newAttachmentKey(random: Random): Bytes {
  return random(ATTACHMENT_KEY_BYTES);
}

export function fileBytes(source: FileSource): ByteSource {
  if (source instanceof ReadableStream) return readStream(source);
  if (typeof Blob !== 'undefined' && source instanceof Blob) return readStream(source.stream());
  return source as ByteSource;
}

export function encryptFile(
  source: FileSource,
  size: number,
  options: EncryptFileOptions,
): EncryptedFile {
  const key = Uint8Array.from(options.key);
  const version = options.formatVersion ?? ATTACHMENT_FORMAT_VERSION;
  let settle: { resolve: (d: Bytes) => void; reject: (e: unknown) => void } | undefined;
  const digest = new Promise<Bytes>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // Nobody may await the digest of a failed upload; that must not be an unhandled rejection.
  digest.catch(() => undefined);
  async function* chunks(): AsyncGenerator<Bytes> {
    const hash = pieceListDigester();
    try {
      const blob = encryptAttachment(key, size, fileBytes(source), version);
      for await (const chunk of rechunk(blob, options.chunkBytes)) {
        await hash.update(chunk);
        yield chunk;
      }
      settle?.resolve(await hash.digest());
    } catch (e) {
      settle?.reject(e);
      throw e;
    }
  }
  return { key, blobSize: attachmentBlobSize(size, version), chunks: chunks(), digest };
}
