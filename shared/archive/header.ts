/**
 * The archive header (docs/protocol.md "Archive"):
 *
 *   header = "PRLYBAK" ‖ 0x01 ‖ BE16(n) ‖ CBOR(fields)(n bytes) ‖ signature(64)
 *   fields = {kind, createdAt, seq, salt(32), keyCheck(32), backupId?(16)}   (deterministic CBOR)
 *   signature = Ed25519(account identity, signedPayload("Parley/v1/sig/archive-header", magic, CBOR))
 *
 * The account identity signs it, so the relay (which stores backups and
 * transfer archives) cannot forge one or pass an old one off as new: the
 * signature covers `seq` and `createdAt`, and the body is bound to the exact
 * header bytes (the stream's context is SHA-256(header)).
 */
import * as v from 'valibot';
import { type Bytes, concat, utf8 } from '../bytes.ts';
import { ED25519_SIGNATURE_BYTES, signWithContext, verifyWithContext } from '../crypto/ed25519.ts';
import { SignatureContext } from '../crypto/labels.ts';
import { decodeCbor, encodeCbor } from '../wire/cbor.ts';
import { archiveDamaged, archiveUnsupported } from './errors.ts';
import { ARCHIVE_KEY_CHECK_BYTES, ARCHIVE_SALT_BYTES } from './keys.ts';

export const ARCHIVE_MAGIC = 'PRLYBAK';
export const ARCHIVE_VERSION = 1;
/** Magic (7), version (1), CBOR length (2). */
export const ARCHIVE_PREAMBLE_BYTES = 10;
/** A header's CBOR is about 120 bytes; anything much larger is not one of ours. */
export const ARCHIVE_MAX_FIELDS_BYTES = 1024;
export const ARCHIVE_BACKUP_ID_BYTES = 16;

export type ArchiveKind = 'transfer' | 'backup';

/** What the caller chooses for a header. */
export interface ArchiveHeaderFields {
  readonly kind: ArchiveKind;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  /** The snapshot's sequence number (backups: increasing per account). */
  readonly seq: number;
  /** Backups: the account's backup id (16 bytes). */
  readonly backupId?: Uint8Array;
}

/** A header as read back: the fields, the salt and the key check. */
export interface ArchiveHeader extends ArchiveHeaderFields {
  readonly salt: Bytes;
  readonly keyCheck: Bytes;
}

const bytesOf = (length: number) =>
  v.pipe(
    v.instance(Uint8Array),
    v.length(length),
    v.transform((b) => b as Bytes),
  );
const Count = v.pipe(v.number(), v.safeInteger(), v.minValue(0));

const HeaderSchema = v.strictObject({
  kind: v.picklist(['transfer', 'backup']),
  createdAt: Count,
  seq: Count,
  salt: bytesOf(ARCHIVE_SALT_BYTES),
  keyCheck: bytesOf(ARCHIVE_KEY_CHECK_BYTES),
  backupId: v.optional(bytesOf(ARCHIVE_BACKUP_ID_BYTES)),
});

const MAGIC_BYTES = concat(utf8(ARCHIVE_MAGIC), new Uint8Array([ARCHIVE_VERSION]));

function fieldsMap(header: ArchiveHeader): Record<string, unknown> {
  const map: Record<string, unknown> = {
    kind: header.kind,
    createdAt: header.createdAt,
    seq: header.seq,
    salt: header.salt,
    keyCheck: header.keyCheck,
  };
  if (header.backupId !== undefined) map.backupId = header.backupId;
  return map;
}

/** Encodes and signs a header with the account identity's Ed25519 private key. */
export async function encodeArchiveHeader(
  header: ArchiveHeader,
  identitySigningKey: CryptoKey,
): Promise<Bytes> {
  const parsed = v.safeParse(HeaderSchema, fieldsMap(header));
  if (!parsed.success) throw new RangeError('Archive header: invalid fields');
  const fields = encodeCbor(fieldsMap(header));
  const signature = await signWithContext(
    identitySigningKey,
    SignatureContext.ARCHIVE_HEADER,
    MAGIC_BYTES,
    fields,
  );
  const length = new Uint8Array(2);
  new DataView(length.buffer).setUint16(0, fields.length, false);
  return concat(MAGIC_BYTES, length, fields, signature);
}

/**
 * Checks the preamble (the first ARCHIVE_PREAMBLE_BYTES, fewer if the source
 * ended) and returns how many bytes of fields and signature follow.
 * Something that is not a Parley archive, or another version, is
 * ARCHIVE_UNSUPPORTED; a Parley archive cut inside its preamble is DAMAGED.
 */
export function readArchivePreamble(preamble: Uint8Array): number {
  const magic = utf8(ARCHIVE_MAGIC);
  const seen = Math.min(preamble.length, magic.length);
  for (let i = 0; i < seen; i++) {
    if (preamble[i] !== magic[i]) throw archiveUnsupported('not a Parley archive');
  }
  if (preamble.length < ARCHIVE_PREAMBLE_BYTES) {
    if (preamble.length < magic.length) throw archiveUnsupported('not a Parley archive');
    if (preamble.length > magic.length && preamble[magic.length] !== ARCHIVE_VERSION) {
      throw archiveUnsupported('unknown archive version');
    }
    throw archiveDamaged('the header is cut short');
  }
  if (preamble[magic.length] !== ARCHIVE_VERSION) throw archiveUnsupported('unknown version');
  const length = new DataView(preamble.buffer, preamble.byteOffset, preamble.length).getUint16(
    magic.length + 1,
    false,
  );
  if (length > ARCHIVE_MAX_FIELDS_BYTES) throw archiveDamaged('the header is too long');
  return length + ED25519_SIGNATURE_BYTES;
}

/** Checks that the account identity `identitySigningPublicKey` signed the header `rest`. */
export async function archiveHeaderSignedBy(
  rest: Uint8Array,
  identitySigningPublicKey: Uint8Array,
): Promise<boolean> {
  if (rest.length < ED25519_SIGNATURE_BYTES) return false;
  try {
    await verifyWithContext(
      identitySigningPublicKey,
      rest.subarray(rest.length - ED25519_SIGNATURE_BYTES),
      'archive header',
      SignatureContext.ARCHIVE_HEADER,
      MAGIC_BYTES,
      rest.subarray(0, rest.length - ED25519_SIGNATURE_BYTES),
    );
    return true;
  } catch {
    return false;
  }
}

/**
 * Decodes the fields WITHOUT checking the signature: only for an archive
 * whose signer is learned from its own verified body (a backup's escrowed
 * identity, docs/protocol.md "Backups"); the caller checks
 * archiveHeaderSignedBy before trusting anything.
 */
export function decodeArchiveHeaderFields(rest: Uint8Array): ArchiveHeader {
  if (rest.length < ED25519_SIGNATURE_BYTES) throw archiveDamaged('the header is cut short');
  const fields = rest.subarray(0, rest.length - ED25519_SIGNATURE_BYTES);
  let raw: unknown;
  try {
    raw = decodeCbor(fields);
  } catch {
    throw archiveDamaged('the header is not valid CBOR');
  }
  const parsed = v.safeParse(HeaderSchema, raw);
  if (!parsed.success) throw archiveDamaged('the header fields are invalid');
  const { backupId, ...required } = parsed.output;
  return backupId === undefined ? required : { ...required, backupId };
}

/**
 * Decodes the fields and verifies the signature; ARCHIVE_DAMAGED for
 * anything that does not decode, match the schema or verify. `rest` is what
 * readArchivePreamble said follows the preamble.
 */
export async function decodeArchiveHeader(
  rest: Uint8Array,
  identitySigningPublicKey: Uint8Array,
): Promise<ArchiveHeader> {
  if (rest.length < ED25519_SIGNATURE_BYTES) throw archiveDamaged('the header is cut short');
  if (!(await archiveHeaderSignedBy(rest, identitySigningPublicKey)))
    throw archiveDamaged('the header signature does not verify');
  return decodeArchiveHeaderFields(rest);
}
