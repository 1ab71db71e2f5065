/**
 * AES-256-GCM. Two back ends with one contract:
 *  - `sealSmall`/`openSmall`: @noble/ciphers, synchronous, for chat messages
 *    (a few hundred bytes, a fresh key every message), where WebCrypto's
 *    importKey + encrypt round trip dominates the cost;
 *  - `sealLarge`/`openLarge`: WebCrypto, for attachments and the vault, where
 *    native throughput wins and keys may stay non-extractable.
 * Both reject tampering with ParleyError(DECRYPT_FAILED) and never say why.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { assertBytes, type Bytes } from '../bytes.ts';
import { ErrorCode, ParleyError } from '../errors.ts';

export const AES_KEY_BYTES = 32;
export const GCM_NONCE_BYTES = 12;
export const GCM_TAG_BYTES = 16;

function decryptFailed(): ParleyError {
  return new ParleyError(ErrorCode.DECRYPT_FAILED, 'Cannot decrypt: authentication failed');
}

export function sealSmall(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
): Bytes {
  assertBytes(key, AES_KEY_BYTES, 'AES-GCM key');
  assertBytes(nonce, GCM_NONCE_BYTES, 'AES-GCM nonce');
  return gcm(key, nonce, aad).encrypt(plaintext) as Bytes;
}

export function openSmall(
  key: Uint8Array,
  nonce: Uint8Array,
  ciphertext: Uint8Array,
  aad: Uint8Array,
): Bytes {
  assertBytes(key, AES_KEY_BYTES, 'AES-GCM key');
  assertBytes(nonce, GCM_NONCE_BYTES, 'AES-GCM nonce');
  if (ciphertext.length < GCM_TAG_BYTES) throw decryptFailed();
  try {
    return gcm(key, nonce, aad).decrypt(ciphertext) as Bytes;
  } catch {
    throw decryptFailed();
  }
}

export type AesKey = CryptoKey;

export function importAesKey(raw: Uint8Array, extractable = false): Promise<AesKey> {
  assertBytes(raw, AES_KEY_BYTES, 'AES-GCM key');
  return crypto.subtle.importKey('raw', raw as Bytes, 'AES-GCM', extractable, [
    'encrypt',
    'decrypt',
  ]);
}

export async function sealLarge(
  key: AesKey,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
): Promise<Bytes> {
  assertBytes(nonce, GCM_NONCE_BYTES, 'AES-GCM nonce');
  const out = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv: nonce as Bytes, additionalData: aad as Bytes },
    key,
    plaintext as Bytes,
  );
  return new Uint8Array(out);
}

export async function openLarge(
  key: AesKey,
  nonce: Uint8Array,
  ciphertext: Uint8Array,
  aad: Uint8Array,
): Promise<Bytes> {
  assertBytes(nonce, GCM_NONCE_BYTES, 'AES-GCM nonce');
  if (ciphertext.length < GCM_TAG_BYTES) throw decryptFailed();
  try {
    const out = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: nonce as Bytes, additionalData: aad as Bytes },
      key,
      ciphertext as Bytes,
    );
    return new Uint8Array(out);
  } catch {
    throw decryptFailed();
  }
}
