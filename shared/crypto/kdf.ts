/**
 * HMAC-SHA-256 and HKDF-SHA-256 (RFC 2104, RFC 5869) from @noble/hashes.
 * Synchronous on purpose: the symmetric ratchet runs these several times per
 * message, and an async WebCrypto round trip costs ~50-100 µs each in Node and
 * service workers, more than the hash itself. Chain and message keys are
 * short-lived session state that must be serialisable anyway, so nothing is
 * lost by keeping them as bytes.
 *
 * The per-message functions (`kdfChain`, `hkdfZeroSalt`) avoid noble's
 * allocating `clone()`: they copy a keyed HMAC state into one module-level
 * scratch instance (`_cloneInto`) and digest into the caller's buffer. This is
 * safe because everything here is synchronous (no caller can interleave), and
 * a digest wipes the scratch state again.
 */
import { expand, hkdf as nobleHkdf } from '@noble/hashes/hkdf.js';
import { type _HMAC, hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { type Bytes, utf8 } from '../bytes.ts';

export function hmacSha256(key: Uint8Array, data: Uint8Array): Bytes {
  return hmac(sha256, key, data) as Bytes;
}

export function sha256Digest(data: Uint8Array): Bytes {
  return sha256(data) as Bytes;
}

const HASH_BYTES = 32;
const ZERO_SALT = new Uint8Array(HASH_BYTES);
/** RFC 5869 §2.3: L <= 255 * HashLen. */
const HKDF_MAX_BYTES = 255 * HASH_BYTES;

type Hmac = _HMAC<ReturnType<typeof sha256.create>>;

// HMAC keyed with the 32 zero bytes of HKDF's default salt: its key schedule
// (two compressions) is the same for every extract, so it is computed once.
const ZERO_SALT_HMAC: Hmac = hmac.create(sha256, ZERO_SALT);
// Target of _cloneInto: reusing it saves two hash objects (and their buffers) per copy.
const SCRATCH: Hmac = hmac.create(sha256, ZERO_SALT);

function checkLength(length: number): void {
  // noble throws a plain Error here; a RangeError like every other bad length argument.
  if (length > HKDF_MAX_BYTES) {
    throw new RangeError(`HKDF-SHA-256: length must be <= ${HKDF_MAX_BYTES}, got ${length}`);
  }
}

/** HKDF-SHA-256; `salt` defaults to 32 zero bytes (as X3DH specifies). */
export function hkdf(
  ikm: Uint8Array,
  salt: Uint8Array | undefined,
  info: string | Uint8Array,
  length: number,
): Bytes {
  checkLength(length);
  const infoBytes = typeof info === 'string' ? utf8(info) : info;
  if (salt === undefined) return hkdfZeroSalt(ikm, infoBytes, length);
  return nobleHkdf(sha256, ikm, salt, infoBytes, length) as Bytes;
}

/**
 * HKDF-SHA-256 with the default salt (32 zero bytes): the extract step starts
 * from the precomputed zero-salt HMAC, the expand step is noble's.
 */
export function hkdfZeroSalt(ikm: Uint8Array, info: Uint8Array, length: number): Bytes {
  checkLength(length);
  const prk = new Uint8Array(HASH_BYTES);
  ZERO_SALT_HMAC._cloneInto(SCRATCH).update(ikm).digestInto(prk);
  const okm = expand(sha256, prk, info, length) as Bytes;
  prk.fill(0);
  return okm;
}

const MESSAGE_KEY_SEED = new Uint8Array([0x01]);
const CHAIN_KEY_SEED = new Uint8Array([0x02]);

/** KDF_CK of the Double Ratchet and Sender Keys: (next chain key, message key). */
export function kdfChain(chainKey: Uint8Array): { chainKey: Bytes; messageKey: Bytes } {
  const mac: Hmac = hmac.create(sha256, chainKey);
  const messageKey = new Uint8Array(HASH_BYTES);
  const next = new Uint8Array(HASH_BYTES);
  mac._cloneInto(SCRATCH).update(MESSAGE_KEY_SEED).digestInto(messageKey);
  mac.update(CHAIN_KEY_SEED).digestInto(next);
  return { chainKey: next, messageKey };
}
