/**
 * The attachment blob format "PRLA v1" (docs/protocol.md "Attachments"): the
 * file, zero-padded to its Signal bucket (padding.ts), sealed with the
 * streaming AEAD (shared/crypto/stream-aead.ts) in 64 KiB segments. Pure:
 * bytes in, bytes out, no I/O.
 *
 * The header's salt and nonce prefix are derived from the file key
 * (HKDF, Label.ATTACHMENT_HEADER) rather than drawn at random, so the blob is
 * a function of (key, file): a resumed upload after a browser restart
 * re-creates byte-identical chunks from the stored key. The key itself is
 * fresh random per file and used for nothing else, so no nonce ever repeats.
 */

import type { ByteSource } from '../byte-streams.ts';
import { type Bytes, isAllZero } from '../bytes.ts';
import { hkdf } from '../crypto/kdf.ts';
import { Label } from '../crypto/labels.ts';
import {
  openStream,
  STREAM_NONCE_PREFIX_BYTES,
  STREAM_SALT_BYTES,
  type StreamAeadFormat,
  type StreamHeader,
  sealStream,
  streamCipher,
  streamSealedLength,
} from '../crypto/stream-aead.ts';
import { ErrorCode, isParleyError, ParleyError } from '../errors.ts';
import { paddedSize } from './padding.ts';

export const ATTACHMENT_KEY_BYTES = 32;
export const ATTACHMENT_SEGMENT_BYTES = 64 * 1024;

export const ATTACHMENT_STREAM_FORMAT: StreamAeadFormat = {
  magic: 'PRLA',
  info: Label.ATTACHMENT,
  segmentBytes: ATTACHMENT_SEGMENT_BYTES,
};

/** Bytes the relay stores for a file of `size` bytes: header, padded plaintext, one tag per segment. */
export function attachmentBlobSize(size: number): number {
  return streamSealedLength(ATTACHMENT_STREAM_FORMAT, paddedSize(size));
}

/** The header's salt and nonce prefix, derived from the file key. */
export function attachmentHeader(key: Uint8Array): StreamHeader {
  const okm = hkdf(
    key,
    undefined,
    Label.ATTACHMENT_HEADER,
    STREAM_SALT_BYTES + STREAM_NONCE_PREFIX_BYTES,
  );
  return { salt: okm.slice(0, STREAM_SALT_BYTES), noncePrefix: okm.slice(STREAM_SALT_BYTES) };
}

function fileChanged(): ParleyError {
  return new ParleyError(
    ErrorCode.ATTACHMENT_INVALID,
    'The file is not the size it was announced with (changed while reading?)',
  );
}

const ZEROS = new Uint8Array(ATTACHMENT_SEGMENT_BYTES);

/** The file's bytes, checked to be exactly `size`, then zeros up to its padded size. */
async function* padded(source: ByteSource, size: number): AsyncGenerator<Uint8Array> {
  let read = 0;
  for await (const chunk of source) {
    read += chunk.length;
    if (read > size) throw fileChanged();
    yield chunk;
  }
  if (read !== size) throw fileChanged();
  for (let left = paddedSize(size) - size; left > 0; left -= ZEROS.length) {
    yield ZEROS.subarray(0, Math.min(left, ZEROS.length));
  }
}

/** Encrypts a file of exactly `size` bytes into its blob, streaming. */
export async function* encryptAttachment(
  key: Uint8Array,
  size: number,
  file: ByteSource,
): AsyncGenerator<Bytes> {
  const cipher = await streamCipher(ATTACHMENT_STREAM_FORMAT, key, attachmentHeader(key));
  yield* sealStream(cipher, padded(file, size));
}

export function tampered(message: string): ParleyError {
  return new ParleyError(ErrorCode.ATTACHMENT_TAMPERED, message);
}

/** Every failure to open or check the blob is ATTACHMENT_TAMPERED; other errors (network, abort) pass. */
function asTampered(e: unknown): unknown {
  if (
    isParleyError(e, ErrorCode.DECRYPT_FAILED) ||
    isParleyError(e, ErrorCode.MESSAGE_MALFORMED) ||
    isParleyError(e, ErrorCode.MESSAGE_VERSION)
  ) {
    return tampered('Attachment failed verification');
  }
  return e;
}

/**
 * Decrypts a blob back to the file of `size` bytes (the pointer's size),
 * yielding plaintext only from verified segments, stripping the padding and
 * checking it is zeros and exactly as long as the bucket of `size`.
 */
export async function* decryptAttachment(
  key: Uint8Array,
  size: number,
  blob: ByteSource,
): AsyncGenerator<Bytes> {
  const total = paddedSize(size);
  let offset = 0;
  try {
    for await (const plain of openStream(ATTACHMENT_STREAM_FORMAT, key, blob)) {
      const end = offset + plain.length;
      if (end > total) throw tampered('Attachment is longer than its pointer says');
      const fileEnd = Math.min(Math.max(size - offset, 0), plain.length);
      if (!isAllZero(plain.subarray(fileEnd))) throw tampered('Attachment padding is not zero');
      offset = end;
      if (fileEnd > 0) yield fileEnd === plain.length ? plain : plain.subarray(0, fileEnd);
    }
  } catch (e) {
    throw asTampered(e);
  }
  if (offset !== total) throw tampered('Attachment is shorter than its pointer says');
}
