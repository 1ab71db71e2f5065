/**
 * HMAC-SHA-256 and HKDF-SHA-256 (RFC 2104, RFC 5869) from @noble/hashes.
 * Synchronous on purpose: the symmetric ratchet runs these several times per
 * message, and an async WebCrypto round trip costs ~50-100 µs each in Node and
 * service workers, more than the hash itself. Chain and message keys are
 * short-lived session state that must be serialisable anyway, so nothing is
 * lost by keeping them as bytes.
 */
import { hkdf as nobleHkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { type Bytes, utf8 } from '../bytes.ts';

export function hmacSha256(key: Uint8Array, data: Uint8Array): Bytes {
  return hmac(sha256, key, data) as Bytes;
}

export function sha256Digest(data: Uint8Array): Bytes {
  return sha256(data) as Bytes;
}

const ZERO_SALT = new Uint8Array(32);
/** RFC 5869 §2.3: L <= 255 * HashLen. */
const HKDF_MAX_BYTES = 255 * 32;

/** HKDF-SHA-256; `salt` defaults to 32 zero bytes (as X3DH specifies). */
export function hkdf(
  ikm: Uint8Array,
  salt: Uint8Array | undefined,
  info: string | Uint8Array,
  length: number,
): Bytes {
  // noble throws a plain Error here; a RangeError like every other bad length argument.
  if (length > HKDF_MAX_BYTES) {
    throw new RangeError(`HKDF-SHA-256: length must be <= ${HKDF_MAX_BYTES}, got ${length}`);
  }
  const infoBytes = typeof info === 'string' ? utf8(info) : info;
  return nobleHkdf(sha256, ikm, salt ?? ZERO_SALT, infoBytes, length) as Bytes;
}

const MESSAGE_KEY_SEED = new Uint8Array([0x01]);
const CHAIN_KEY_SEED = new Uint8Array([0x02]);

/** KDF_CK of the Double Ratchet and Sender Keys: (next chain key, message key). */
export function kdfChain(chainKey: Uint8Array): { chainKey: Bytes; messageKey: Bytes } {
  const mac = hmac.create(sha256, chainKey);
  const forChain = mac.clone();
  const messageKey = mac.update(MESSAGE_KEY_SEED).digest() as Bytes;
  const next = forChain.update(CHAIN_KEY_SEED).digest() as Bytes;
  return { chainKey: next, messageKey };
}
