/**
 * The two Sender Key wire formats: the distribution message a member hands to
 * every other member over the pairwise sessions, and the header of a group
 * message. Encoding and decoding only; the chains live in sender-key-chain.ts,
 * encryption in sender-keys.ts.
 *
 * Wire formats (all integers big-endian):
 *   distribution: 0x01 0x04 | distributionId 16 | chainId u32 | iteration u32 | chainKey 32 | signingKey 32
 *   message:      0x01 0x03 | distributionId 16 | chainId u32 | iteration u32 | AES-256-GCM ct | sig 64
 * The AEAD's AAD is the 26-byte header plus Encode(sender identity), so the
 * ciphertext is bound to its type, version, position and sender; the signature
 * covers everything before it (SignatureContext.SENDER_KEY_MESSAGE).
 */
import type { Bytes } from '../bytes.ts';
import { ErrorCode, fail } from '../errors.ts';
import { GCM_TAG_BYTES } from './aead.ts';
import { ED25519_PUBLIC_KEY_BYTES, ED25519_SIGNATURE_BYTES } from './ed25519.ts';
import { MessageType, PROTOCOL_VERSION } from './message-format.ts';

export const SENDER_KEY_VERSION = PROTOCOL_VERSION;
/**
 * Type bytes, from the registry shared with the pairwise formats
 * (message-format.ts), so no payload is ever accepted as another type.
 */
export const SenderKeyMessageType = {
  GROUP_MESSAGE: MessageType.SENDER_KEY_MESSAGE,
  DISTRIBUTION: MessageType.SENDER_KEY_DISTRIBUTION,
} as const;

export const DISTRIBUTION_ID_BYTES = 16;
export const CHAIN_KEY_BYTES = 32;
/** Version, type, distribution id, chain id and iteration: the AAD's first part. */
export const SENDER_KEY_HEADER_BYTES = 2 + DISTRIBUTION_ID_BYTES + 4 + 4;
export const DISTRIBUTION_MESSAGE_BYTES =
  SENDER_KEY_HEADER_BYTES + CHAIN_KEY_BYTES + ED25519_PUBLIC_KEY_BYTES;
const MIN_GROUP_MESSAGE_BYTES = SENDER_KEY_HEADER_BYTES + GCM_TAG_BYTES + ED25519_SIGNATURE_BYTES;
/** The highest iteration a message may carry: keeps "next iteration" a u32. */
export const MAX_ITERATION = 0xffff_fffe;

export interface DistributionMessage {
  readonly distributionId: Bytes;
  readonly chainId: number;
  readonly iteration: number;
  readonly chainKey: Bytes;
  readonly signingPublicKey: Bytes;
}

export interface GroupMessageHeader {
  readonly distributionId: Bytes;
  readonly chainId: number;
  readonly iteration: number;
}

export function checkDistributionId(id: Uint8Array): void {
  if (!(id instanceof Uint8Array) || id.length !== DISTRIBUTION_ID_BYTES) {
    fail(
      ErrorCode.BAD_ARGUMENT,
      `Sender key: distribution id must be ${DISTRIBUTION_ID_BYTES} bytes`,
    );
  }
}

/** Writes the header into the first SENDER_KEY_HEADER_BYTES of `out`. */
export function writeSenderKeyHeader(
  out: Uint8Array,
  type: number,
  distributionId: Uint8Array,
  chainId: number,
  iteration: number,
): void {
  out[0] = SENDER_KEY_VERSION;
  out[1] = type;
  out.set(distributionId, 2);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(2 + DISTRIBUTION_ID_BYTES, chainId);
  view.setUint32(2 + DISTRIBUTION_ID_BYTES + 4, iteration);
}

function readHeader(bytes: Uint8Array, expectedType: number, what: string): GroupMessageHeader {
  if (!(bytes instanceof Uint8Array) || bytes.length < 2) {
    fail(ErrorCode.MESSAGE_MALFORMED, `Cannot decode ${what}: too short`);
  }
  if (bytes[0] !== SENDER_KEY_VERSION) {
    fail(ErrorCode.MESSAGE_VERSION, `Cannot decode ${what}: unsupported version (${bytes[0]})`, {
      version: bytes[0] as number,
    });
  }
  if (bytes[1] !== expectedType) {
    fail(ErrorCode.MESSAGE_TYPE, `Cannot decode ${what}: wrong message type (${bytes[1]})`, {
      expected: expectedType,
      actual: bytes[1] as number,
    });
  }
  if (bytes.length < SENDER_KEY_HEADER_BYTES)
    fail(ErrorCode.MESSAGE_MALFORMED, `Cannot decode ${what}: too short`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    distributionId: bytes.slice(2, 2 + DISTRIBUTION_ID_BYTES),
    chainId: view.getUint32(2 + DISTRIBUTION_ID_BYTES),
    iteration: view.getUint32(2 + DISTRIBUTION_ID_BYTES + 4),
  };
}

export function encodeDistributionMessage(message: DistributionMessage): Bytes {
  checkDistributionId(message.distributionId);
  if (
    message.chainKey.length !== CHAIN_KEY_BYTES ||
    message.signingPublicKey.length !== ED25519_PUBLIC_KEY_BYTES
  ) {
    throw new RangeError('Sender key: chain key and signing key must be 32 bytes');
  }
  const out = new Uint8Array(DISTRIBUTION_MESSAGE_BYTES);
  writeSenderKeyHeader(
    out,
    SenderKeyMessageType.DISTRIBUTION,
    message.distributionId,
    message.chainId,
    message.iteration,
  );
  out.set(message.chainKey, SENDER_KEY_HEADER_BYTES);
  out.set(message.signingPublicKey, SENDER_KEY_HEADER_BYTES + CHAIN_KEY_BYTES);
  return out;
}

export function decodeDistributionMessage(bytes: Uint8Array): DistributionMessage {
  const header = readHeader(bytes, SenderKeyMessageType.DISTRIBUTION, 'sender key distribution');
  if (bytes.length !== DISTRIBUTION_MESSAGE_BYTES) {
    fail(
      ErrorCode.MESSAGE_MALFORMED,
      `Cannot decode sender key distribution: expected ${DISTRIBUTION_MESSAGE_BYTES} bytes, got ${bytes.length}`,
    );
  }
  return {
    ...header,
    chainKey: bytes.slice(SENDER_KEY_HEADER_BYTES, SENDER_KEY_HEADER_BYTES + CHAIN_KEY_BYTES),
    signingPublicKey: bytes.slice(SENDER_KEY_HEADER_BYTES + CHAIN_KEY_BYTES),
  };
}

/** Reads the routing fields of a group message (not authenticated until decrypted). */
export function parseGroupMessageHeader(bytes: Uint8Array): GroupMessageHeader {
  const header = readHeader(bytes, SenderKeyMessageType.GROUP_MESSAGE, 'group message');
  if (bytes.length < MIN_GROUP_MESSAGE_BYTES) {
    fail(
      ErrorCode.MESSAGE_MALFORMED,
      `Cannot decode group message: too short (${bytes.length} bytes)`,
    );
  }
  return header;
}
