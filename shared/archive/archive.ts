/**
 * The encrypted archive (docs/protocol.md "Archive"): one format for a
 * linked device's history transfer and for backups. Streaming both ways:
 * neither side ever holds the whole archive.
 *
 *   archive = header (header.ts) ‖ STREAM(AK, context = SHA-256(header), deflate-raw(frames))
 *
 * The body is the generic streaming AEAD (shared/crypto/stream-aead.ts) with
 * its own format: magic "PRLB", info "Parley/v1/archive/stream", 64 KiB
 * segments. Frames are length-delimited (frames.ts) and compressed
 * (compression.ts) before sealing.
 *
 * Opening checks, in order, before any of the body is read: the magic and
 * version (ARCHIVE_UNSUPPORTED), the header's signature by the account
 * identity (ARCHIVE_DAMAGED), the key check (ARCHIVE_WRONG_KEY). The body
 * then fails with ARCHIVE_DAMAGED on anything else: a flipped byte, a
 * dropped, swapped or added segment, trailing bytes, a header replayed over
 * another body (a different context and key), a frame cut short.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { type ByteSource, rechunk, splitHead } from '../byte-streams.ts';
import type { Bytes } from '../bytes.ts';
import { Label } from '../crypto/labels.ts';
import { systemRandom } from '../crypto/random.ts';
import {
  openStream,
  type StreamAeadFormat,
  sealStream,
  streamCipher,
} from '../crypto/stream-aead.ts';
import { ErrorCode, isParleyError } from '../errors.ts';
import { deflate, inflate } from './compression.ts';
import { archiveDamaged, archiveWrongKey } from './errors.ts';
import { decodeFrames, encodeFrames } from './frames.ts';
import {
  ARCHIVE_PREAMBLE_BYTES,
  type ArchiveHeader,
  type ArchiveHeaderFields,
  archiveHeaderSignedBy,
  decodeArchiveHeader,
  decodeArchiveHeaderFields,
  encodeArchiveHeader,
  readArchivePreamble,
} from './header.ts';
import {
  ARCHIVE_SALT_BYTES,
  archiveKey,
  archiveKeyCheck,
  archiveStreamHeader,
  sameKeyCheck,
} from './keys.ts';

/**
 * 64 KiB: small enough that a page or worker never holds more than a few
 * segments, big enough that the 16-byte tags cost 0.02 %; the same size as
 * attachments, so a transfer archive uploads in the relay's blob chunks.
 */
export const ARCHIVE_SEGMENT_BYTES = 64 * 1024;

export const ARCHIVE_STREAM_FORMAT: StreamAeadFormat = {
  magic: 'PRLB',
  info: Label.ARCHIVE_STREAM,
  segmentBytes: ARCHIVE_SEGMENT_BYTES,
};

/** Frames are gathered into pieces this size before compression (fewer, larger writes). */
const COMPRESS_INPUT_BYTES = 64 * 1024;

export interface SealArchiveOptions extends ArchiveHeaderFields {
  /** The 32-byte root key (transfer: random per link; backup: the backup key). */
  readonly root: Uint8Array;
  /** The account identity's Ed25519 private key: signs the header. */
  readonly signer: CryptoKey;
  readonly frames: AsyncIterable<Uint8Array>;
  /** The header salt; fresh random unless given (test vectors fix it). */
  readonly salt?: Uint8Array;
}

export interface OpenArchiveOptions {
  readonly root: Uint8Array;
  /** The account identity's Ed25519 public key, which must have signed the header. */
  readonly identitySigningKey: Uint8Array;
}

export interface OpenedArchive {
  readonly header: ArchiveHeader;
  /**
   * The frames, in order. A frame is released once the segments it came from
   * verified, but the archive as a whole is only known intact when this ends
   * without error: on ARCHIVE_DAMAGED, discard everything received.
   */
  readonly frames: AsyncIterable<Bytes>;
}

/** Seals frames into an archive: yields the header, then the sealed body piece by piece. */
export async function* sealArchive(options: SealArchiveOptions): AsyncGenerator<Bytes> {
  const salt = options.salt ?? systemRandom(ARCHIVE_SALT_BYTES);
  const header: ArchiveHeader = {
    kind: options.kind,
    createdAt: options.createdAt,
    seq: options.seq,
    salt: salt as Bytes,
    keyCheck: archiveKeyCheck(options.root),
    ...(options.backupId === undefined ? {} : { backupId: options.backupId }),
  };
  const headerBytes = await encodeArchiveHeader(header, options.signer);
  yield headerBytes;
  const ak = archiveKey(options.root, salt);
  const cipher = await streamCipher(
    ARCHIVE_STREAM_FORMAT,
    ak,
    archiveStreamHeader(ak),
    sha256(headerBytes),
  );
  ak.fill(0);
  const body = deflate(rechunk(encodeFrames(options.frames), COMPRESS_INPUT_BYTES));
  yield* sealStream(cipher, body);
}

/**
 * Reads and checks the header (signature, then key check) and returns it
 * with the frames; nothing of the body is read before the key check passed.
 */
export async function openArchive(
  source: ByteSource,
  options: OpenArchiveOptions,
): Promise<OpenedArchive> {
  const { opened } = await openHeader(source, options.root, async (signed) => {
    await decodeArchiveHeader(signed, options.identitySigningKey);
  });
  return opened;
}

/**
 * Opens an archive whose signer is not known yet: the header's fields and
 * the key check (ARCHIVE_WRONG_KEY before any of the body) as openArchive,
 * the signature left to `signedBy`. Only for a backup restored into an empty
 * profile, whose identity is escrowed inside the body (docs/protocol.md
 * "Backups"): the caller reads the body to its end, then checks that the
 * escrowed identity signed the header before trusting anything.
 */
export function openArchiveSignerUnchecked(
  source: ByteSource,
  root: Uint8Array,
): Promise<{
  readonly opened: OpenedArchive;
  readonly signedBy: (identitySigningKey: Uint8Array) => Promise<boolean>;
}> {
  return openHeader(source, root, async () => {});
}

/** The header checks in order: preamble, `verify` (the signature), fields, key check. */
async function openHeader(
  source: ByteSource,
  root: Uint8Array,
  verify: (signed: Uint8Array) => Promise<void>,
): Promise<{
  readonly opened: OpenedArchive;
  readonly signedBy: (identitySigningKey: Uint8Array) => Promise<boolean>;
}> {
  const first = await splitHead(source, ARCHIVE_PREAMBLE_BYTES);
  const following = readArchivePreamble(first.head);
  const second = await splitHead(first.rest, following);
  if (second.head.length < following) throw archiveDamaged('the header is cut short');
  await verify(second.head);
  const header = decodeArchiveHeaderFields(second.head);
  if (!sameKeyCheck(header.keyCheck, archiveKeyCheck(root))) throw archiveWrongKey();
  const headerBytes = new Uint8Array(ARCHIVE_PREAMBLE_BYTES + following);
  headerBytes.set(first.head, 0);
  headerBytes.set(second.head, ARCHIVE_PREAMBLE_BYTES);
  const ak = archiveKey(root, header.salt);
  const signed = second.head;
  return {
    opened: { header, frames: openBody(second.rest, ak, sha256(headerBytes)) },
    signedBy: (key) => archiveHeaderSignedBy(signed, key),
  };
}

/** An error of the source itself (network, disk): passed through, never called damage. */
class SourceFailure {
  readonly cause: unknown;
  constructor(cause: unknown) {
    this.cause = cause;
  }
}

async function* guarded(source: ByteSource): AsyncGenerator<Uint8Array> {
  try {
    yield* source;
  } catch (e) {
    throw new SourceFailure(e);
  }
}

function unwrapSourceFailure(e: unknown): unknown {
  if (e instanceof SourceFailure) return e.cause;
  if (e instanceof TypeError && e.cause instanceof SourceFailure) return e.cause.cause;
  return undefined;
}

async function* openBody(
  source: ByteSource,
  ak: Bytes,
  context: Uint8Array,
): AsyncGenerator<Bytes> {
  try {
    const plain = openStream(ARCHIVE_STREAM_FORMAT, ak, guarded(source), context);
    yield* decodeFrames(inflate(plain));
  } catch (e) {
    const sourceError = unwrapSourceFailure(e);
    if (sourceError !== undefined) throw sourceError;
    if (isParleyError(e, ErrorCode.ARCHIVE_DAMAGED)) throw e;
    // Authentication (DECRYPT_FAILED), the stream header (MESSAGE_MALFORMED,
    // MESSAGE_VERSION), inflating (TypeError): all are damage to the archive.
    throw archiveDamaged('the body does not verify');
  } finally {
    ak.fill(0);
  }
}
