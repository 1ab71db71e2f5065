/**
 * Ed25519 encoding checks that WebCrypto leaves to each runtime, made explicit
 * so every runtime Parley runs on decides the same way (RFC 8032 §5.1.7 strict
 * decoding plus libsodium's small-order rule):
 *  - Node (OpenSSL 3) accepts non-canonical point encodings (y >= p, or x = 0
 *    with the sign bit set) that Deno rejects: one signature, two verdicts;
 *  - both accept small-order public keys, for which a "signature" made without
 *    any private key (R = identity, S = 0) verifies for many messages, for the
 *    identity key every message (see vectors/parley/ed25519-small-order.json).
 * Inputs here are public (keys and signatures), so the early-exit comparison in
 * lessThan is fine. Cross-checked against @noble/curves in ed25519-encoding.test.ts.
 */
import { equalBytes, fromHex } from '../bytes.ts';

const ENCODING_BYTES = 32;

/** p = 2^255 - 19, little-endian. */
const FIELD_PRIME = fromHex('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f');
/** L = 2^252 + 27742317777372353535851937790883648493, the group order, little-endian. */
const GROUP_ORDER = fromHex('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010');

/** y = 1 (the identity) and y = -1 (order 2): the only y-coordinates with x = 0. */
const ZERO_X_Y: readonly Uint8Array[] = [
  fromHex('0100000000000000000000000000000000000000000000000000000000000000'),
  fromHex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'),
];

/**
 * The y-coordinates (canonical, little-endian, sign bit clear) of the 8 points
 * of order 1, 2, 4 and 8: identity (y = 1), order 2 (y = -1), order 4 (y = 0,
 * two points) and order 8 (two y values, two points each).
 */
const SMALL_ORDER_Y: readonly Uint8Array[] = [
  ...ZERO_X_Y,
  fromHex('0000000000000000000000000000000000000000000000000000000000000000'),
  fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'),
  fromHex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'),
];

/** True if `encoded` (32 bytes) is the one canonical encoding of a y-coordinate and sign. */
export function isCanonicalPointEncoding(encoded: Uint8Array): boolean {
  if (encoded.length !== ENCODING_BYTES) return false;
  const y = maskedY(encoded);
  if (!lessThan(y, FIELD_PRIME)) return false;
  const signBit = ((encoded[31] as number) & 0x80) !== 0;
  return !(signBit && ZERO_X_Y.some((zeroX) => equalBytes(y, zeroX)));
}

/** True if `encoded` names a point of order 1, 2, 4 or 8 (in any of its encodings). */
export function isSmallOrderPointEncoding(encoded: Uint8Array): boolean {
  if (encoded.length !== ENCODING_BYTES) return false;
  const y = reduceOnce(maskedY(encoded));
  return SMALL_ORDER_Y.some((small) => equalBytes(y, small));
}

/** True if the 32-byte little-endian scalar is below the group order L (RFC 8032 §5.1.7). */
export function isCanonicalScalar(scalar: Uint8Array): boolean {
  return scalar.length === ENCODING_BYTES && lessThan(scalar, GROUP_ORDER);
}

/**
 * The checks Parley runs before handing a signature to WebCrypto: canonical,
 * not-small-order public key; canonical R; S < L.
 */
export function passesStrictEncodingChecks(publicKey: Uint8Array, signature: Uint8Array): boolean {
  return (
    isCanonicalPointEncoding(publicKey) &&
    !isSmallOrderPointEncoding(publicKey) &&
    isCanonicalPointEncoding(signature.subarray(0, ENCODING_BYTES)) &&
    isCanonicalScalar(signature.subarray(ENCODING_BYTES, 2 * ENCODING_BYTES))
  );
}

function maskedY(encoded: Uint8Array): Uint8Array {
  const y = encoded.slice(0, ENCODING_BYTES);
  y[31] = (y[31] as number) & 0x7f;
  return y;
}

/** y mod p for y < 2^255 (at most one subtraction is ever needed). */
function reduceOnce(y: Uint8Array): Uint8Array {
  if (lessThan(y, FIELD_PRIME)) return y;
  const out = new Uint8Array(ENCODING_BYTES);
  let borrow = 0;
  for (let i = 0; i < ENCODING_BYTES; i++) {
    const d = (y[i] as number) - (FIELD_PRIME[i] as number) - borrow;
    out[i] = d & 0xff;
    borrow = d < 0 ? 1 : 0;
  }
  return out;
}

/** a < b for equal-length little-endian numbers. */
function lessThan(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = a.length - 1; i >= 0; i--) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (x !== y) return x < y;
  }
  return false;
}
