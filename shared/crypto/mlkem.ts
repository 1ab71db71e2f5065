/**
 * ML-KEM-768 (FIPS 203) from @noble/post-quantum, for PQXDH. Randomness comes
 * in as a parameter so session setup stays deterministic under test.
 */
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import type { Bytes } from '../bytes.ts';
import { ErrorCode, fail, ParleyError } from '../errors.ts';
import type { Random } from './random.ts';

export const MLKEM768_PUBLIC_KEY_BYTES = 1184;
export const MLKEM768_SECRET_KEY_BYTES = 2400;
export const MLKEM768_CIPHERTEXT_BYTES = 1088;
export const MLKEM768_SHARED_SECRET_BYTES = 32;
/** FIPS 203 seed d || z: the compact form from which the key pair is re-derived. */
export const MLKEM768_SEED_BYTES = 64;

export interface KemKeyPair {
  readonly publicKey: Bytes;
  readonly secretKey: Bytes;
}

export function generateKemKeyPair(random: Random): KemKeyPair {
  return kemKeyPairFromSeed(random(MLKEM768_SEED_BYTES));
}

/** ML-KEM.KeyGen_internal(d, z) (FIPS 203 Algorithm 16) from the 64-byte seed d || z. */
export function kemKeyPairFromSeed(seed: Uint8Array): KemKeyPair {
  if (!(seed instanceof Uint8Array) || seed.length !== MLKEM768_SEED_BYTES) {
    fail(
      ErrorCode.KEY_LENGTH,
      `ML-KEM-768 seed: expected ${MLKEM768_SEED_BYTES} bytes, got ${seed?.length ?? 'none'}`,
      { expected: MLKEM768_SEED_BYTES, actual: seed?.length ?? -1 },
    );
  }
  const { publicKey, secretKey } = ml_kem768.keygen(seed);
  return { publicKey: publicKey as Bytes, secretKey: secretKey as Bytes };
}

/**
 * FIPS 203 §7.2 input check: correct length and every coefficient reduced mod q
 * (noble performs the modulus check while encapsulating).
 */
export function validateKemPublic(
  publicKey: Uint8Array,
  what = 'ML-KEM-768 public key',
): Uint8Array {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== MLKEM768_PUBLIC_KEY_BYTES) {
    fail(
      ErrorCode.KEY_LENGTH,
      `${what}: expected ${MLKEM768_PUBLIC_KEY_BYTES} bytes, got ${publicKey?.length ?? 'none'}`,
      {
        expected: MLKEM768_PUBLIC_KEY_BYTES,
        actual: publicKey?.length ?? -1,
      },
    );
  }
  try {
    ml_kem768.encapsulate(publicKey, new Uint8Array(32));
  } catch {
    fail(ErrorCode.KEY_INVALID, `${what}: not a valid encapsulation key`);
  }
  return publicKey;
}

export function encapsulate(
  publicKey: Uint8Array,
  random: Random,
): { cipherText: Bytes; sharedSecret: Bytes } {
  if (publicKey.length !== MLKEM768_PUBLIC_KEY_BYTES) validateKemPublic(publicKey);
  try {
    const { cipherText, sharedSecret } = ml_kem768.encapsulate(publicKey, random(32));
    return { cipherText: cipherText as Bytes, sharedSecret: sharedSecret as Bytes };
  } catch {
    throw new ParleyError(
      ErrorCode.KEY_INVALID,
      'ML-KEM-768 public key: not a valid encapsulation key',
    );
  }
}

export function decapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Bytes {
  if (cipherText.length !== MLKEM768_CIPHERTEXT_BYTES) {
    fail(
      ErrorCode.MESSAGE_MALFORMED,
      `ML-KEM-768 ciphertext: expected ${MLKEM768_CIPHERTEXT_BYTES} bytes, got ${cipherText.length}`,
    );
  }
  return ml_kem768.decapsulate(cipherText, secretKey) as Bytes;
}
