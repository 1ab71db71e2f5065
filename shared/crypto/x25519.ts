/**
 * X25519 (RFC 7748) through WebCrypto. Private keys are CryptoKeys; the
 * long-term ones can be non-extractable. Public keys travel as 32 raw bytes
 * and are validated before use: wrong length, and the small-order points
 * (which force a predictable shared secret), are rejected with typed errors.
 */
import { type Bytes, concat, copy, fromBase64Url, isAllZero, toBase64Url } from '../bytes.ts';
import { ErrorCode, fail, ParleyError } from '../errors.ts';

export const X25519_KEY_BYTES = 32;

export interface DhKeyPair {
  readonly publicKey: Bytes;
  readonly privateKey: CryptoKey;
}

// The string form of the algorithm identifier: Node's WebCrypto normalises it with
// noticeably less work than a dictionary, and this runs several times per DH ratchet step.
const ALGORITHM = 'X25519';
// DER prefix of a PKCS#8 OneAsymmetricKey for X25519 (RFC 8410); the raw key follows.
const PKCS8_PREFIX = new Uint8Array([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
]);

/**
 * The u-coordinates of the points of order 1, 2, 4 and 8 and their non-canonical
 * encodings (as listed by libsodium and Wycheproof's LowOrderPublic cases).
 * Bit 255 is ignored by X25519, so it is masked before comparing.
 */
const LOW_ORDER_POINTS: readonly Uint8Array[] = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
].map((hex) => Uint8Array.from(hex.match(/../g) ?? [], (b) => Number.parseInt(b, 16)));

/** True if `key` (32 bytes) is `point`, ignoring bit 255 (X25519 ignores it too). */
function isPoint(key: Uint8Array, point: Uint8Array): boolean {
  let diff = ((key[31] as number) & 0x7f) ^ (point[31] as number);
  for (let i = 0; i < 31; i++) diff |= (key[i] as number) ^ (point[i] as number);
  return diff === 0;
}

/** Throws KEY_LENGTH / KEY_LOW_ORDER; returns the key for chaining. */
export function validateX25519Public(
  publicKey: Uint8Array,
  what = 'X25519 public key',
): Uint8Array {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== X25519_KEY_BYTES) {
    fail(
      ErrorCode.KEY_LENGTH,
      `${what}: expected ${X25519_KEY_BYTES} bytes, got ${publicKey?.length ?? 'none'}`,
      {
        expected: X25519_KEY_BYTES,
        actual: publicKey?.length ?? -1,
      },
    );
  }
  // Runs once per received ratchet key: compared in place, without a masked copy.
  for (const point of LOW_ORDER_POINTS) {
    if (isPoint(publicKey, point))
      fail(ErrorCode.KEY_LOW_ORDER, `${what}: small-order point rejected`);
  }
  return publicKey;
}

export async function generateDhKeyPair(extractable = true): Promise<DhKeyPair> {
  const pair = (await crypto.subtle.generateKey(ALGORITHM, extractable, [
    'deriveBits',
  ])) as CryptoKeyPair;
  // JWK export is synchronous inside the runtime; 'raw' export is a thread-pool job in Node
  // (~3 µs vs ~40 µs), and this runs on every DH ratchet step.
  const jwk = await crypto.subtle.exportKey('jwk', pair.publicKey);
  return { publicKey: fromBase64Url(jwk.x ?? ''), privateKey: pair.privateKey };
}

export function importDhPrivate(raw: Uint8Array, extractable = true): Promise<CryptoKey> {
  if (raw.length !== X25519_KEY_BYTES) {
    fail(ErrorCode.KEY_LENGTH, `X25519 private key: expected 32 bytes, got ${raw.length}`);
  }
  return crypto.subtle.importKey('pkcs8', concat(PKCS8_PREFIX, raw), ALGORITHM, extractable, [
    'deriveBits',
  ]);
}

export async function exportDhPrivate(key: CryptoKey): Promise<Bytes> {
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', key));
  return pkcs8.slice(pkcs8.length - X25519_KEY_BYTES);
}

/**
 * Exports the raw private scalar through JWK: same bytes as exportDhPrivate, but
 * without a thread-pool round trip in Node (used when serialising session state).
 */
export async function exportDhPrivateRaw(key: CryptoKey): Promise<Bytes> {
  const jwk = await crypto.subtle.exportKey('jwk', key);
  const raw = fromBase64Url(jwk.d ?? '');
  if (raw.length !== X25519_KEY_BYTES)
    fail(ErrorCode.KEY_INVALID, 'X25519 private key: export failed');
  return raw;
}

/**
 * Rebuilds a key pair from both raw halves (JWK import: ~5x faster than PKCS#8,
 * which re-derives the public key). Node rejects a public half that does not
 * match; other runtimes may not, so callers store both halves together.
 */
export async function importDhKeyPair(
  privateRaw: Uint8Array,
  publicKey: Uint8Array,
  extractable = true,
): Promise<DhKeyPair> {
  if (privateRaw.length !== X25519_KEY_BYTES || publicKey.length !== X25519_KEY_BYTES) {
    fail(ErrorCode.KEY_LENGTH, `X25519 key pair: expected ${X25519_KEY_BYTES}-byte halves`);
  }
  const jwk: JsonWebKey = {
    kty: 'OKP',
    crv: 'X25519',
    d: toBase64Url(privateRaw),
    x: toBase64Url(publicKey),
  };
  try {
    const privateKey = await crypto.subtle.importKey('jwk', jwk, ALGORITHM, extractable, [
      'deriveBits',
    ]);
    return { publicKey: copy(publicKey), privateKey };
  } catch {
    throw new ParleyError(
      ErrorCode.KEY_INVALID,
      'X25519 key pair: private and public halves rejected',
    );
  }
}

/** Rebuilds a key pair from its raw private scalar (derives the public half). */
export async function dhKeyPairFromPrivate(
  raw: Uint8Array,
  extractable = true,
): Promise<DhKeyPair> {
  const privateKey = await importDhPrivate(raw, true);
  const jwk = await crypto.subtle.exportKey('jwk', privateKey);
  const publicKey = fromBase64Url(jwk.x ?? '');
  return { publicKey, privateKey: extractable ? privateKey : await importDhPrivate(raw, false) };
}

export function importDhPublic(publicKey: Uint8Array): Promise<CryptoKey> {
  validateX25519Public(publicKey);
  return importValidatedDhPublic(copy(publicKey));
}

/**
 * Imports a public key the caller has already validated (validateX25519Public)
 * and owns. In Node the import itself runs synchronously on the calling thread
 * (~20 µs; no thread-pool job), so the returned promise is settled at once.
 */
export function importValidatedDhPublic(publicKey: Bytes): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', publicKey, ALGORITHM, true, []);
}

/**
 * DH(priv, pub) -> 32-byte shared secret. Rejects small-order public keys and
 * an all-zero result (RFC 7748 §6.1) with typed errors.
 */
export async function dh(privateKey: CryptoKey, publicKey: Uint8Array | CryptoKey): Promise<Bytes> {
  const pub = publicKey instanceof Uint8Array ? await importDhPublic(publicKey) : publicKey;
  return deriveDh(privateKey, pub);
}

function rejectedAsZero(cause: unknown): never {
  // WebCrypto reports an all-zero output as OperationError.
  throw new ParleyError(ErrorCode.KEY_ZERO_SHARED_SECRET, 'X25519: shared secret is all zero', {
    cause: cause instanceof Error ? cause.name : 'unknown',
  });
}

function checkedSecret(bits: ArrayBuffer): Bytes {
  const secret = new Uint8Array(bits);
  if (isAllZero(secret))
    fail(ErrorCode.KEY_ZERO_SHARED_SECRET, 'X25519: shared secret is all zero');
  return secret;
}

/**
 * DH with an imported public key: one WebCrypto call (a thread-pool job in
 * Node) and no further promise layers; an all-zero result is KEY_ZERO_SHARED_SECRET.
 */
export function deriveDh(privateKey: CryptoKey, publicKey: CryptoKey): Promise<Bytes> {
  return crypto.subtle
    .deriveBits({ name: ALGORITHM, public: publicKey }, privateKey, 256)
    .then(checkedSecret, rejectedAsZero);
}
