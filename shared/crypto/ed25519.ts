/**
 * Ed25519 (RFC 8032) through WebCrypto. Signing keys are CryptoKeys (the device
 * key is created non-extractable); public keys travel as 32 raw bytes.
 * Everything signed is prefixed with a context label (see labels.ts) so a
 * signature made for one purpose can never be replayed as another.
 */
import { type Bytes, concat, copy, fromBase64Url, u32be, utf8 } from '../bytes.ts';
import { ErrorCode, fail } from '../errors.ts';
import {
  isCanonicalPointEncoding,
  isSmallOrderPointEncoding,
  passesStrictEncodingChecks,
} from './ed25519-encoding.ts';

export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;

export interface SigningKeyPair {
  readonly publicKey: Bytes;
  readonly privateKey: CryptoKey;
}

const ALGORITHM = { name: 'Ed25519' } as const;
const PKCS8_PREFIX = new Uint8Array([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

export async function generateSigningKeyPair(extractable = true): Promise<SigningKeyPair> {
  const pair = (await crypto.subtle.generateKey(ALGORITHM, extractable, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  return { publicKey, privateKey: pair.privateKey };
}

export function importSigningPrivate(raw: Uint8Array, extractable = true): Promise<CryptoKey> {
  if (raw.length !== 32)
    fail(ErrorCode.KEY_LENGTH, `Ed25519 private key: expected 32 bytes, got ${raw.length}`);
  return crypto.subtle.importKey('pkcs8', concat(PKCS8_PREFIX, raw), ALGORITHM, extractable, [
    'sign',
  ]);
}

/** Rebuilds a signing key pair from its 32-byte seed (deterministic keys for test vectors). */
export async function signingKeyPairFromPrivate(
  raw: Uint8Array,
  extractable = true,
): Promise<SigningKeyPair> {
  const privateKey = await importSigningPrivate(raw, true);
  const jwk = await crypto.subtle.exportKey('jwk', privateKey);
  const publicKey = fromBase64Url(jwk.x ?? '');
  return {
    publicKey,
    privateKey: extractable ? privateKey : await importSigningPrivate(raw, false),
  };
}

export async function exportSigningPrivate(key: CryptoKey): Promise<Bytes> {
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', key));
  return pkcs8.slice(pkcs8.length - 32);
}

export function validateEd25519Public(
  publicKey: Uint8Array,
  what = 'Ed25519 public key',
): Uint8Array {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== ED25519_PUBLIC_KEY_BYTES) {
    fail(
      ErrorCode.KEY_LENGTH,
      `${what}: expected ${ED25519_PUBLIC_KEY_BYTES} bytes, got ${publicKey?.length ?? 'none'}`,
      {
        expected: ED25519_PUBLIC_KEY_BYTES,
        actual: publicKey?.length ?? -1,
      },
    );
  }
  if (!isCanonicalPointEncoding(publicKey)) {
    fail(ErrorCode.KEY_INVALID, `${what}: not a canonical point encoding`);
  }
  if (isSmallOrderPointEncoding(publicKey)) {
    fail(ErrorCode.KEY_LOW_ORDER, `${what}: small-order point rejected`);
  }
  return publicKey;
}

export async function sign(privateKey: CryptoKey, message: Uint8Array): Promise<Bytes> {
  return new Uint8Array(await crypto.subtle.sign(ALGORITHM, privateKey, message as Bytes));
}

/** Raw verification: false for any bad key, signature or message; never throws on bad input. */
export async function verify(
  publicKey: Uint8Array,
  signature: Uint8Array,
  message: Uint8Array,
): Promise<boolean> {
  if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES || signature.length !== ED25519_SIGNATURE_BYTES)
    return false;
  // Runtimes disagree on non-canonical encodings and all accept small-order keys
  // (forgeable "signatures"): decide those here, the same way everywhere.
  if (!passesStrictEncodingChecks(publicKey, signature)) return false;
  try {
    const key = await crypto.subtle.importKey('raw', copy(publicKey), ALGORITHM, false, ['verify']);
    return await crypto.subtle.verify(ALGORITHM, key, signature as Bytes, message as Bytes);
  } catch {
    return false;
  }
}

/**
 * Canonical bytes for a signature: context label, a zero byte, then each field
 * length-prefixed (u32 big-endian), so no two field lists encode alike.
 */
export function signedPayload(context: string, ...fields: readonly Uint8Array[]): Bytes {
  const parts: Uint8Array[] = [utf8(context), new Uint8Array([0])];
  for (const f of fields) parts.push(u32be(f.length), f);
  return concat(...parts);
}

export async function signWithContext(
  privateKey: CryptoKey,
  context: string,
  ...fields: Uint8Array[]
): Promise<Bytes> {
  return sign(privateKey, signedPayload(context, ...fields));
}

/** Verifies a context signature; throws SIGNATURE_INVALID naming what failed. */
export async function verifyWithContext(
  publicKey: Uint8Array,
  signature: Uint8Array,
  what: string,
  context: string,
  ...fields: Uint8Array[]
): Promise<void> {
  if (signature.length !== ED25519_SIGNATURE_BYTES) {
    fail(
      ErrorCode.SIGNATURE_INVALID,
      `${what}: signature must be ${ED25519_SIGNATURE_BYTES} bytes, got ${signature.length}`,
    );
  }
  if (!(await verify(publicKey, signature, signedPayload(context, ...fields)))) {
    fail(ErrorCode.SIGNATURE_INVALID, `${what}: signature does not verify`);
  }
}
