/**
 * Streaming AEAD: a long plaintext sealed as fixed-size segments of
 * AES-256-GCM (WebCrypto), so neither side ever holds the whole of it. The
 * construction is Tink's AES-GCM-HKDF streaming / STREAM (Hoang, Reyhanitabar,
 * Rogaway, Vizár 2015), the design age uses; docs/protocol.md "Streaming
 * AEAD" specifies it. Generic on purpose: attachments use it with their own
 * magic and label, and so will the device-linking archive and backups.
 *
 *   header  = magic(4) ‖ version ‖ log2(segment bytes) ‖ 0x0000 ‖ salt(16) ‖ noncePrefix(7)
 *   key     = HKDF-SHA-256(ikm = file key, salt = header salt, info = format label)  (AES-256-GCM)
 *   nonce_i = noncePrefix(7) ‖ BE32(i) ‖ last (0x01 on the final segment, else 0x00)
 *   aad     = SHA-256(header ‖ context)   (the same for every segment)
 *   stream  = header ‖ seal(0) ‖ seal(1) ‖ … ‖ seal(n-1)
 *
 * Every segment holds exactly `segmentBytes` plaintext bytes except the last,
 * which holds 1..segmentBytes (0 only when the whole plaintext is empty), plus
 * a 16-byte tag. A format with `sealedSegments` (Tink's own layout) counts
 * `segmentBytes` as sealed bytes instead, header included in the first
 * segment, so the stream cuts into `segmentBytes` pieces on segment
 * boundaries; the header's log2 byte then names that sealed size. The counter in the nonce stops reordering and swaps, the
 * last flag stops truncation at a segment boundary and extension, the AAD
 * binds the header (format, segment size, salt) and the caller's context to
 * every segment, and the per-stream key (fresh salt or fresh file key) keeps
 * nonces from ever repeating under one key. Any failure is DECRYPT_FAILED and
 * never says which check failed.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { type ByteSource, rechunk, splitHead, withLast } from '../byte-streams.ts';
import { assertBytes, type Bytes, concat, utf8 } from '../bytes.ts';
import { ErrorCode, ParleyError } from '../errors.ts';
import { mapAhead } from '../map-ahead.ts';
import { AES_KEY_BYTES, GCM_TAG_BYTES, openLarge, sealLarge } from './aead.ts';

export const STREAM_VERSION = 1;
export const STREAM_SALT_BYTES = 16;
export const STREAM_NONCE_PREFIX_BYTES = 7;
export const STREAM_HEADER_BYTES = 4 + 1 + 1 + 2 + STREAM_SALT_BYTES + STREAM_NONCE_PREFIX_BYTES;
/** BE32 counter: at most 2^32 segments per stream. */
const MAX_SEGMENTS = 2 ** 32;
const MIN_SEGMENT_LOG2 = 10;
const MAX_SEGMENT_LOG2 = 24;
/**
 * Segments sealed or opened at once: WebCrypto runs them off the calling
 * thread (Chromium's and Node's crypto workers), so a few in flight keep those
 * busy while the caller hashes or moves bytes; output order is unchanged.
 */
const SEGMENTS_IN_FLIGHT = 4;

/** What a user of the construction fixes once: its magic, its HKDF label, its segment size. */
export interface StreamAeadFormat {
  /** 4 ASCII characters naming the format (attachments: "PRLA"). */
  readonly magic: string;
  /** HKDF info label (shared/crypto/labels.ts). */
  readonly info: string;
  /**
   * Plaintext bytes per segment: a power of two, 1 KiB..16 MiB. With
   * `sealedSegments`, the sealed bytes per segment instead (see there).
   */
  readonly segmentBytes: number;
  /**
   * Tink's layout: `segmentBytes` counts a sealed segment (plaintext and tag),
   * and the header counts within the first one, so segment 0 holds
   * segmentBytes − header − tag plaintext bytes and every later one
   * segmentBytes − tag. The sealed stream then cuts into pieces of exactly
   * segmentBytes on segment boundaries: a store that keeps it in chunks of
   * that size (attachments: the relay's 1 MiB chunks) hands back whole
   * segments, and nothing is copied to put one together.
   */
  readonly sealedSegments?: boolean;
  /**
   * The header's version byte (default STREAM_VERSION): a user that changes
   * its own parameters (attachments: PRLA v2's larger segments) says so here;
   * the construction is the same for every version.
   */
  readonly version?: number;
}

/** The per-stream values the header carries. */
export interface StreamHeader {
  readonly salt: Uint8Array;
  readonly noncePrefix: Uint8Array;
}

/** A stream's derived key and constants: all a segment needs to be sealed or opened. */
export interface StreamCipher {
  readonly format: StreamAeadFormat;
  readonly header: Bytes;
  readonly key: CryptoKey;
  readonly noncePrefix: Bytes;
  readonly aad: Bytes;
}

function segmentLog2(format: StreamAeadFormat): number {
  const log2 = Math.log2(format.segmentBytes);
  if (!Number.isInteger(log2) || log2 < MIN_SEGMENT_LOG2 || log2 > MAX_SEGMENT_LOG2) {
    throw new RangeError('Stream AEAD: segmentBytes must be a power of two, 1 KiB..16 MiB');
  }
  return log2;
}

function versionOf(format: StreamAeadFormat): number {
  const version = format.version ?? STREAM_VERSION;
  if (!Number.isInteger(version) || version < 1 || version > 255) {
    throw new RangeError('Stream AEAD: version must be a byte, 1..255');
  }
  return version;
}

function magicBytes(format: StreamAeadFormat): Bytes {
  const magic = utf8(format.magic);
  if (magic.length !== 4) throw new RangeError('Stream AEAD: magic must be 4 ASCII characters');
  return magic;
}

function malformed(message: string): ParleyError {
  return new ParleyError(ErrorCode.MESSAGE_MALFORMED, message);
}

function decryptFailed(): ParleyError {
  return new ParleyError(ErrorCode.DECRYPT_FAILED, 'Cannot decrypt: authentication failed');
}

export function encodeStreamHeader(format: StreamAeadFormat, header: StreamHeader): Bytes {
  assertBytes(header.salt, STREAM_SALT_BYTES, 'stream salt');
  assertBytes(header.noncePrefix, STREAM_NONCE_PREFIX_BYTES, 'stream nonce prefix');
  const out = new Uint8Array(STREAM_HEADER_BYTES);
  out.set(magicBytes(format), 0);
  out[4] = versionOf(format);
  out[5] = segmentLog2(format);
  out.set(header.salt, 8);
  out.set(header.noncePrefix, 8 + STREAM_SALT_BYTES);
  return out;
}

/** Reads a header this format wrote: MESSAGE_MALFORMED or MESSAGE_VERSION otherwise. */
export function decodeStreamHeader(format: StreamAeadFormat, bytes: Uint8Array): StreamHeader {
  if (bytes.length !== STREAM_HEADER_BYTES) throw malformed('Stream header: wrong length');
  const magic = magicBytes(format);
  if (magic.some((b, i) => bytes[i] !== b)) throw malformed('Stream header: wrong magic');
  if (bytes[4] !== versionOf(format)) {
    throw new ParleyError(ErrorCode.MESSAGE_VERSION, 'Stream header: unknown version', {
      version: bytes[4] as number,
    });
  }
  if (bytes[5] !== segmentLog2(format) || bytes[6] !== 0 || bytes[7] !== 0) {
    throw malformed('Stream header: wrong segment size or reserved bytes');
  }
  return {
    salt: bytes.slice(8, 8 + STREAM_SALT_BYTES),
    noncePrefix: bytes.slice(8 + STREAM_SALT_BYTES, STREAM_HEADER_BYTES),
  };
}

/** Plaintext bytes a full segment `index` holds (the last may hold fewer). */
export function segmentPlaintextBytes(format: StreamAeadFormat, index: number): number {
  if (format.sealedSegments !== true) return format.segmentBytes;
  return format.segmentBytes - GCM_TAG_BYTES - (index === 0 ? STREAM_HEADER_BYTES : 0);
}

/** Number of segments a plaintext of `length` bytes is sealed into (an empty one still has one). */
export function streamSegmentCount(format: StreamAeadFormat, length: number): number {
  const first = segmentPlaintextBytes(format, 0);
  if (length <= first) return 1;
  return 1 + Math.ceil((length - first) / segmentPlaintextBytes(format, 1));
}

/** Exact length of the sealed stream (header included) for `length` plaintext bytes. */
export function streamSealedLength(format: StreamAeadFormat, length: number): number {
  return STREAM_HEADER_BYTES + length + GCM_TAG_BYTES * streamSegmentCount(format, length);
}

/** Derives the stream key (non-extractable) and the segment AAD from the file key and header. */
export async function streamCipher(
  format: StreamAeadFormat,
  fileKey: Uint8Array,
  header: StreamHeader,
  context: Uint8Array = new Uint8Array(0),
): Promise<StreamCipher> {
  assertBytes(fileKey, AES_KEY_BYTES, 'stream file key');
  const headerBytes = encodeStreamHeader(format, header);
  const base = await crypto.subtle.importKey('raw', fileKey as Bytes, 'HKDF', false, ['deriveKey']);
  const key = await crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: header.salt as Bytes, info: utf8(format.info) },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
  return {
    format,
    header: headerBytes,
    key,
    noncePrefix: headerBytes.slice(8 + STREAM_SALT_BYTES),
    aad: sha256(concat(headerBytes, context)) as Bytes,
  };
}

function segmentNonce(cipher: StreamCipher, index: number, last: boolean): Bytes {
  if (!Number.isSafeInteger(index) || index < 0 || index >= MAX_SEGMENTS) {
    throw new RangeError('Stream AEAD: segment index out of range');
  }
  const nonce = new Uint8Array(12);
  nonce.set(cipher.noncePrefix, 0);
  new DataView(nonce.buffer).setUint32(STREAM_NONCE_PREFIX_BYTES, index, false);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/** Seals segment `index` (random access: a resumed writer may start anywhere). */
export function sealSegment(
  cipher: StreamCipher,
  index: number,
  plaintext: Uint8Array,
  last: boolean,
): Promise<Bytes> {
  const size = segmentPlaintextBytes(cipher.format, index);
  if (plaintext.length > size || (!last && plaintext.length !== size)) {
    throw new RangeError('Stream AEAD: only the last segment may be short');
  }
  return sealLarge(cipher.key, segmentNonce(cipher, index, last), plaintext, cipher.aad);
}

/** Opens segment `index`; DECRYPT_FAILED on any mismatch (tag, position, last flag, length). */
export async function openSegment(
  cipher: StreamCipher,
  index: number,
  ciphertext: Uint8Array,
  last: boolean,
): Promise<Bytes> {
  const full = segmentPlaintextBytes(cipher.format, index) + GCM_TAG_BYTES;
  if (ciphertext.length > full || (!last && ciphertext.length !== full)) throw decryptFailed();
  if (last && index > 0 && ciphertext.length === GCM_TAG_BYTES) throw decryptFailed();
  return openLarge(cipher.key, segmentNonce(cipher, index, last), ciphertext, cipher.aad);
}

/** Seals a plaintext stream: yields the header, then one sealed segment at a time. */
export async function* sealStream(
  cipher: StreamCipher,
  plaintext: ByteSource,
): AsyncGenerator<Bytes> {
  yield cipher.header;
  let sealed = 0;
  const { format } = cipher;
  const segments = withLast(
    rechunk(plaintext, segmentPlaintextBytes(format, 1), segmentPlaintextBytes(format, 0)),
  );
  for await (const segment of mapAhead(segments, SEGMENTS_IN_FLIGHT, ([bytes, last], index) =>
    sealSegment(cipher, index, bytes, last),
  )) {
    sealed++;
    yield segment;
  }
  if (sealed === 0) yield await sealSegment(cipher, 0, new Uint8Array(0), true);
}

/**
 * Opens a sealed stream (header first), yielding each segment's plaintext
 * only after its tag verified, in order (later segments may already be
 * opening). A stream that ends early, has bytes after the
 * final segment, or was altered anywhere fails with DECRYPT_FAILED at that
 * point; the consumer must discard what it received before the failure.
 */
export async function* openStream(
  format: StreamAeadFormat,
  fileKey: Uint8Array,
  sealed: ByteSource,
  context?: Uint8Array,
): AsyncGenerator<Bytes> {
  const { head, rest } = await splitHead(sealed, STREAM_HEADER_BYTES);
  if (head.length < STREAM_HEADER_BYTES) throw decryptFailed();
  const cipher = await streamCipher(format, fileKey, decodeStreamHeader(format, head), context);
  let opened = 0;
  const sealedBytes = (index: number) => segmentPlaintextBytes(format, index) + GCM_TAG_BYTES;
  const segments = withLast(rechunk(rest, sealedBytes(1), sealedBytes(0)));
  for await (const plain of mapAhead(segments, SEGMENTS_IN_FLIGHT, ([bytes, last], index) =>
    openSegment(cipher, index, bytes, last),
  )) {
    opened++;
    yield plain;
  }
  if (opened === 0) throw decryptFailed();
}
