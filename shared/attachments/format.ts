/**
 * The attachment blob formats "PRLA v1" and "PRLA v2" (docs/protocol.md
 * "Attachments"): the file, zero-padded to its Signal bucket (padding.ts),
 * sealed with the streaming AEAD (shared/crypto/stream-aead.ts), in 64 KiB
 * segments (v1) or 1 MiB segments (v2: a third of WebCrypto's per-call cost
 * on download). The header's version byte names the format and the segment
 * size follows from it (the header, segment size included, is authenticated).
 * New blobs are v2; v1 blobs stay readable. Pure: bytes in, bytes out, no I/O.
 *
 * The header's salt and nonce prefix are derived from the file key
 * (HKDF, Label.ATTACHMENT_HEADER) rather than drawn at random, so the blob is
 * a function of (key, file): a resumed upload after a browser restart
 * re-creates byte-identical chunks from the stored key. The key itself is
 * fresh random per file and used for nothing else, so no nonce ever repeats.
 */

import { type ByteSource, splitHead } from '../byte-streams.ts';
import { type Bytes, isAllZero } from '../bytes.ts';
import { hkdf } from '../crypto/kdf.ts';
import { Label } from '../crypto/labels.ts';
import {
  openStream,
  STREAM_HEADER_BYTES,
  STREAM_NONCE_PREFIX_BYTES,
  STREAM_SALT_BYTES,
  type StreamAeadFormat,
  type StreamHeader,
  sealStream,
  segmentPlaintextBytes,
  streamCipher,
  streamSealedLength,
} from '../crypto/stream-aead.ts';
import { ErrorCode, isParleyError, ParleyError } from '../errors.ts';
import { ATTACHMENT_CHUNK_BYTES } from '../wire/limits.ts';
import { paddedSize } from './padding.ts';

export const ATTACHMENT_KEY_BYTES = 32;

/** The blob format versions this code reads (the header's version byte). */
export type AttachmentFormatVersion = 1 | 2;

/** The version new blobs are written in. */
export const ATTACHMENT_FORMAT_VERSION: AttachmentFormatVersion = 2;

const ATTACHMENT_STREAM_FORMATS: Readonly<Record<AttachmentFormatVersion, StreamAeadFormat>> = {
  1: { magic: 'PRLA', info: Label.ATTACHMENT, segmentBytes: 64 * 1024, version: 1 },
  // Sealed segments of exactly one relay chunk: every chunk a download fetches
  // is one whole segment, opened where it arrived (docs/protocol.md "Attachments").
  2: {
    magic: 'PRLA',
    info: Label.ATTACHMENT_V2,
    segmentBytes: ATTACHMENT_CHUNK_BYTES,
    sealedSegments: true,
    version: 2,
  },
};

/** The streaming-AEAD parameters of one blob format version. */
export function attachmentStreamFormat(version: AttachmentFormatVersion): StreamAeadFormat {
  return ATTACHMENT_STREAM_FORMATS[version];
}

/** Plaintext bytes a full AEAD segment `index` holds in one blob format version. */
export function attachmentSegmentBytes(version: AttachmentFormatVersion, index = 1): number {
  return segmentPlaintextBytes(attachmentStreamFormat(version), index);
}

/** Byte 4 of the header names the format version. */
const VERSION_OFFSET = 4;

/**
 * The format version a blob's first bytes name; ATTACHMENT_TAMPERED for a
 * blob too short to say or a version this code does not read (the same code
 * every other unreadable blob gets).
 */
export function attachmentFormatOf(head: Uint8Array): AttachmentFormatVersion {
  const version = head[VERSION_OFFSET];
  if (version === 1 || version === 2) return version;
  throw tampered('Attachment failed verification');
}

/** Bytes the relay stores for a file of `size` bytes: header, padded plaintext, one tag per segment. */
export function attachmentBlobSize(
  size: number,
  version: AttachmentFormatVersion = ATTACHMENT_FORMAT_VERSION,
): number {
  return streamSealedLength(attachmentStreamFormat(version), paddedSize(size));
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

const ZEROS = new Uint8Array(64 * 1024);

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

/**
 * Encrypts a file of exactly `size` bytes into its blob, streaming. `version`
 * is for a resumed upload that began in an older format; new ones take the default.
 */
export async function* encryptAttachment(
  key: Uint8Array,
  size: number,
  file: ByteSource,
  version: AttachmentFormatVersion = ATTACHMENT_FORMAT_VERSION,
): AsyncGenerator<Bytes> {
  const format = attachmentStreamFormat(version);
  const cipher = await streamCipher(format, key, attachmentHeader(key));
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

async function* prepend(head: Uint8Array, rest: ByteSource): AsyncGenerator<Uint8Array> {
  if (head.length > 0) yield head;
  yield* rest;
}

/**
 * Decrypts a blob (any version this code reads) back to the file of `size` bytes (the pointer's size),
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
    const { head, rest } = await splitHead(blob, STREAM_HEADER_BYTES);
    const format = attachmentStreamFormat(attachmentFormatOf(head));
    for await (const plain of openStream(format, key, prepend(head, rest))) {
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
