/**
 * Binary layouts of Parley's pairwise ciphertexts. Every Parley ciphertext
 * (pairwise and group) starts with a version byte and a type byte, and both are
 * part of the AEAD associated data, so a payload of one type can never be
 * accepted as another (the Matrix 2022 lesson, CVE-2022-39251).
 *
 *   ratchet message (type 1)
 *     0      version = 1
 *     1      type = 1
 *     2..34  sender's ratchet public key (X25519)
 *     34..38 PN: length of the sender's previous sending chain (u32 BE)
 *     38..42 N: index of this message in the sending chain (u32 BE)
 *     42..   AES-256-GCM ciphertext of the padded plaintext, tag last
 *
 *   prekey message (type 2): the initiator's messages until it hears back
 *     0      version = 1
 *     1      type = 2
 *     2      flags: 0x01 one-time prekey used, 0x02 KEM prekey used (PQXDH),
 *            0x04 that KEM prekey is a one-time one (only with 0x02; without it
 *            the last-resort one); others 0
 *     3..35  initiator identity X25519 key
 *     35..67 initiator identity Ed25519 key
 *     67..131  identity binding signature
 *     131..163 base key EK_A (X25519)
 *     163..167 signed prekey id (u32 BE)
 *     [u32]  one-time prekey id, if flag 0x01
 *     [u32, 1088 bytes] KEM prekey id and ML-KEM-768 ciphertext, if flag 0x02
 *            (the id is in the id space of the kind flag 0x04 names)
 *     then the 40-byte ratchet header (as bytes 2..42 above) and the ciphertext
 *
 * The associated data of every message is
 *   bytes[0..2] || Encode(IK_sender) || Encode(IK_receiver) || bytes[2..headerEnd]
 * i.e. everything in the message except the ciphertext, plus both identities.
 */
import type { Bytes } from '../bytes.ts';
import { ErrorCode, fail } from '../errors.ts';
import { GCM_TAG_BYTES } from './aead.ts';
import { ByteReader } from './byte-codec.ts';
import { ED25519_PUBLIC_KEY_BYTES, ED25519_SIGNATURE_BYTES } from './ed25519.ts';
import type { PublicIdentity } from './identity.ts';
import { MLKEM768_CIPHERTEXT_BYTES } from './mlkem.ts';
import { PADDING_BLOCK, paddedLength } from './padding.ts';
import { type KemPreKeyKind, PreKeyKind } from './prekeys.ts';
import { X25519_KEY_BYTES } from './x25519.ts';

export const PROTOCOL_VERSION = 1;

/** Type bytes shared by all Parley ciphertexts (3 and 4 belong to sender-keys.ts). */
export const MessageType = {
  RATCHET: 1,
  PREKEY: 2,
  SENDER_KEY_MESSAGE: 3,
  SENDER_KEY_DISTRIBUTION: 4,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

export const PreKeyFlag = {
  ONE_TIME_PREKEY: 0x01,
  KEM_PREKEY: 0x02,
  /** The KEM prekey named is a one-time one (its owner deletes it after first use). */
  ONE_TIME_KEM_PREKEY: 0x04,
} as const;
const KNOWN_FLAGS =
  PreKeyFlag.ONE_TIME_PREKEY | PreKeyFlag.KEM_PREKEY | PreKeyFlag.ONE_TIME_KEM_PREKEY;

export const ENVELOPE_BYTES = 2;
export const RATCHET_HEADER_BYTES = X25519_KEY_BYTES + 4 + 4;
/** Largest plaintext a pairwise message carries; bigger payloads go as attachments. */
export const MAX_PLAINTEXT_BYTES = 256 * 1024;
const MAX_CIPHERTEXT_BYTES = paddedLength(MAX_PLAINTEXT_BYTES) + GCM_TAG_BYTES;
const MIN_CIPHERTEXT_BYTES = PADDING_BLOCK + GCM_TAG_BYTES;

export interface RatchetHeader {
  /** Sender's current ratchet public key. */
  readonly dh: Bytes;
  /** Number of messages in the sender's previous sending chain. */
  readonly pn: number;
  /** Index of this message in the sender's current sending chain. */
  readonly n: number;
}

export interface PreKeyFields {
  readonly identity: PublicIdentity;
  readonly baseKey: Bytes;
  readonly signedPreKeyId: number;
  readonly oneTimePreKeyId?: number | undefined;
  readonly kemPreKeyId?: number | undefined;
  /** Which kind `kemPreKeyId` names; absent means the last-resort KEM prekey. */
  readonly kemPreKeyKind?: KemPreKeyKind | undefined;
  readonly kemCiphertext?: Bytes | undefined;
}

/** A decoded message; `headerEnd` is where the AEAD ciphertext starts. */
export interface DecodedMessage {
  readonly type: typeof MessageType.RATCHET | typeof MessageType.PREKEY;
  readonly preKey: PreKeyFields | undefined;
  readonly header: RatchetHeader;
  readonly headerEnd: number;
  readonly ciphertext: Uint8Array;
}

function malformed(reason: string): never {
  return fail(ErrorCode.MESSAGE_MALFORMED, `Cannot decode message: ${reason}`);
}

/** The type byte, after checking the envelope length and the version byte. */
function envelopeType(bytes: Uint8Array): number {
  if (!(bytes instanceof Uint8Array) || bytes.length < ENVELOPE_BYTES)
    malformed('shorter than the envelope');
  const version = bytes[0] as number;
  if (version !== PROTOCOL_VERSION) {
    fail(ErrorCode.MESSAGE_VERSION, `Cannot decode message: unsupported version (${version})`, {
      version,
    });
  }
  return bytes[1] as number;
}

/** Reads and checks the version byte; returns the type byte (not yet checked). */
export function readEnvelope(bytes: Uint8Array): {
  readonly version: number;
  readonly type: number;
} {
  const type = envelopeType(bytes);
  return { version: PROTOCOL_VERSION, type };
}

/** Fails with MESSAGE_TYPE unless the message is one of `allowed`. */
export function expectMessageType<T extends number>(bytes: Uint8Array, allowed: readonly T[]): T {
  const type = envelopeType(bytes);
  if (!allowed.includes(type as T)) {
    fail(ErrorCode.MESSAGE_TYPE, `Cannot decode message: type ${type} not accepted here`, {
      type,
      expected: allowed as readonly number[],
    });
  }
  return type as T;
}

export function encodeRatchetHeader(header: RatchetHeader): Bytes {
  const out = new Uint8Array(RATCHET_HEADER_BYTES);
  writeRatchetHeader(out, 0, header);
  return out;
}

function writeU32(out: Uint8Array, at: number, n: number): void {
  out[at] = n >>> 24;
  out[at + 1] = n >>> 16;
  out[at + 2] = n >>> 8;
  out[at + 3] = n;
}

function readU32(bytes: Uint8Array, at: number): number {
  return (
    (((bytes[at] as number) << 24) |
      ((bytes[at + 1] as number) << 16) |
      ((bytes[at + 2] as number) << 8) |
      (bytes[at + 3] as number)) >>>
    0
  );
}

/** Writes the 40-byte ratchet header at `at` (the fixed layout above, no intermediate buffer). */
export function writeRatchetHeader(out: Uint8Array, at: number, header: RatchetHeader): void {
  out.set(header.dh, at);
  writeU32(out, at + X25519_KEY_BYTES, header.pn);
  writeU32(out, at + X25519_KEY_BYTES + 4, header.n);
}

export function preKeyFlags(fields: PreKeyFields): number {
  return (
    (fields.oneTimePreKeyId === undefined ? 0 : PreKeyFlag.ONE_TIME_PREKEY) |
    (fields.kemPreKeyId === undefined ? 0 : PreKeyFlag.KEM_PREKEY) |
    (fields.kemPreKeyId !== undefined && fields.kemPreKeyKind === PreKeyKind.ONE_TIME_KEM
      ? PreKeyFlag.ONE_TIME_KEM_PREKEY
      : 0)
  );
}

/** The prekey part of a type-2 message: bytes 2 up to the ratchet header. */
export function encodePreKeyFields(fields: PreKeyFields): Bytes {
  const flags = preKeyFlags(fields);
  if ((fields.kemPreKeyId === undefined) !== (fields.kemCiphertext === undefined)) {
    throw new TypeError('KEM prekey id and ciphertext go together');
  }
  const length =
    1 +
    X25519_KEY_BYTES +
    ED25519_PUBLIC_KEY_BYTES +
    ED25519_SIGNATURE_BYTES +
    X25519_KEY_BYTES +
    4 +
    (flags & PreKeyFlag.ONE_TIME_PREKEY ? 4 : 0) +
    (flags & PreKeyFlag.KEM_PREKEY ? 4 + MLKEM768_CIPHERTEXT_BYTES : 0);
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  let at = 0;
  out[at++] = flags;
  out.set(fields.identity.dh, at);
  at += X25519_KEY_BYTES;
  out.set(fields.identity.signing, at);
  at += ED25519_PUBLIC_KEY_BYTES;
  out.set(fields.identity.binding, at);
  at += ED25519_SIGNATURE_BYTES;
  out.set(fields.baseKey, at);
  at += X25519_KEY_BYTES;
  view.setUint32(at, fields.signedPreKeyId);
  at += 4;
  if (fields.oneTimePreKeyId !== undefined) {
    view.setUint32(at, fields.oneTimePreKeyId);
    at += 4;
  }
  if (fields.kemPreKeyId !== undefined && fields.kemCiphertext !== undefined) {
    view.setUint32(at, fields.kemPreKeyId);
    at += 4;
    out.set(fields.kemCiphertext, at);
  }
  return out;
}

/** Reads the prekey part (as written by encodePreKeyFields); errors use the reader's code. */
export function readPreKeyFields(reader: ByteReader): PreKeyFields {
  const flags = reader.u8();
  if ((flags & ~KNOWN_FLAGS) !== 0) reader.fail(`unknown prekey flags 0x${flags.toString(16)}`);
  if (flags & PreKeyFlag.ONE_TIME_KEM_PREKEY && !(flags & PreKeyFlag.KEM_PREKEY))
    reader.fail('one-time KEM prekey flag without a KEM prekey');
  const identity: PublicIdentity = {
    dh: reader.bytes(X25519_KEY_BYTES),
    signing: reader.bytes(ED25519_PUBLIC_KEY_BYTES),
    binding: reader.bytes(ED25519_SIGNATURE_BYTES),
  };
  const baseKey = reader.bytes(X25519_KEY_BYTES);
  const signedPreKeyId = reader.u32();
  const oneTimePreKeyId = flags & PreKeyFlag.ONE_TIME_PREKEY ? reader.u32() : undefined;
  let kemPreKeyId: number | undefined;
  let kemCiphertext: Bytes | undefined;
  if (flags & PreKeyFlag.KEM_PREKEY) {
    kemPreKeyId = reader.u32();
    kemCiphertext = reader.bytes(MLKEM768_CIPHERTEXT_BYTES);
  }
  const fields = { identity, baseKey, signedPreKeyId, oneTimePreKeyId, kemPreKeyId, kemCiphertext };
  // Only a one-time KEM prekey is named: absent means the last-resort one.
  return flags & PreKeyFlag.ONE_TIME_KEM_PREKEY
    ? { ...fields, kemPreKeyKind: PreKeyKind.ONE_TIME_KEM }
    : fields;
}

function readHeaderAndCiphertext(reader: ByteReader): {
  header: RatchetHeader;
  headerEnd: number;
  ciphertext: Uint8Array;
} {
  const header: RatchetHeader = {
    dh: reader.bytes(X25519_KEY_BYTES),
    pn: reader.u32(),
    n: reader.u32(),
  };
  const headerEnd = reader.offset;
  const length = reader.remaining;
  if (!isPaddedCiphertextLength(length)) {
    reader.fail(`ciphertext length ${length} is not a padded size`);
  }
  return { header, headerEnd, ciphertext: reader.view(length) };
}

const RATCHET_HEADER_END = ENVELOPE_BYTES + RATCHET_HEADER_BYTES;

function isPaddedCiphertextLength(length: number): boolean {
  return (
    length >= MIN_CIPHERTEXT_BYTES &&
    length <= MAX_CIPHERTEXT_BYTES &&
    (length - GCM_TAG_BYTES) % PADDING_BLOCK === 0
  );
}

const PAIRWISE_TYPES: readonly (typeof MessageType.RATCHET | typeof MessageType.PREKEY)[] = [
  MessageType.RATCHET,
  MessageType.PREKEY,
];

/** Decodes a type-1 or type-2 message (checks version and type first). */
export function decodeMessage(
  bytes: Uint8Array,
  allowed: readonly (typeof MessageType.RATCHET | typeof MessageType.PREKEY)[] = PAIRWISE_TYPES,
): DecodedMessage {
  const type = expectMessageType(bytes, allowed);
  // Every message after the first exchange is a well-formed type 1: read it at
  // its fixed offsets. Anything else takes the checked reader below, which also
  // produces the exact error for a malformed one.
  if (type === MessageType.RATCHET && isPaddedCiphertextLength(bytes.length - RATCHET_HEADER_END)) {
    const header: RatchetHeader = {
      dh: bytes.slice(ENVELOPE_BYTES, ENVELOPE_BYTES + X25519_KEY_BYTES),
      pn: readU32(bytes, ENVELOPE_BYTES + X25519_KEY_BYTES),
      n: readU32(bytes, ENVELOPE_BYTES + X25519_KEY_BYTES + 4),
    };
    return {
      type,
      preKey: undefined,
      header,
      headerEnd: RATCHET_HEADER_END,
      ciphertext: bytes.subarray(RATCHET_HEADER_END),
    };
  }
  const reader = new ByteReader(bytes, ErrorCode.MESSAGE_MALFORMED, 'message');
  reader.view(ENVELOPE_BYTES);
  const preKey = type === MessageType.PREKEY ? readPreKeyFields(reader) : undefined;
  const { header, headerEnd, ciphertext } = readHeaderAndCiphertext(reader);
  return { type, preKey, header, headerEnd, ciphertext };
}

/** version || type || prefix || header || ciphertext */
export function encodeMessage(type: MessageType, parts: readonly Uint8Array[]): Bytes {
  let length = ENVELOPE_BYTES;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  out[0] = PROTOCOL_VERSION;
  out[1] = type;
  let at = ENVELOPE_BYTES;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** bytes[0..2] || ad || bytes[2..headerEnd]: see the module comment. */
export function associatedData(
  message: Uint8Array,
  headerEnd: number,
  identities: Uint8Array,
): Bytes {
  const out = new Uint8Array(headerEnd + identities.length);
  out[0] = message[0] as number;
  out[1] = message[1] as number;
  out.set(identities, ENVELOPE_BYTES);
  out.set(message.subarray(ENVELOPE_BYTES, headerEnd), ENVELOPE_BYTES + identities.length);
  return out;
}
