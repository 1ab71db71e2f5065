/**
 * The vault's key hierarchy, as pure functions over WebCrypto and hash-wasm:
 *
 *   passkey PRF output (32 B) ──HKDF(salt, "<VAULT>/kek/prf")──────────┐
 *   passphrase ──Argon2id(salt, m, t, p)──HKDF(salt, "<VAULT>/kek/pass")┴─> KEK (AES-256-GCM, wrap only)
 *   KEK ──AES-GCM wrap(iv, aad = kind + credential)──> wrapped vault key (stored)
 *   vault key (AES-256-GCM, non-extractable once unwrapped) ──> every record at rest
 *
 * The vault key's bytes never sit in a JS buffer: it is generated as a
 * CryptoKey, wrapped by WebCrypto, and unwrapped straight into a
 * non-extractable CryptoKey.
 *
 * Runs in: the service worker and Node (tests).
 */
import { type Bytes, concat, utf8, wipe } from '../../../shared/bytes.ts';
import { Label } from '../../../shared/crypto/labels.ts';
import { type Argon2Params, stretchPassphrase } from '../../../shared/crypto/passphrase.ts';
import { ExtErrorCode, extError } from '../../lib/errors.ts';

export const SALT_BYTES = 32;
export const IV_BYTES = 12;
export const PRF_OUTPUT_BYTES = 32;

export type { Argon2Params };

/**
 * Argon2id cost for the passphrase fallback: 128 MiB, 3 passes, 1 lane.
 * hash-wasm runs one lane (no threads in a service worker), so memory and
 * passes carry the cost. Measured in Chromium 156 (headless, this project's
 * 2-core machine): ~470-550 ms per derivation, up to ~800 ms under load; 64 MiB
 * x 3 took only ~230 ms, below the 0.5-1 s target (docs/extension.md). Stored
 * per vault, so raising it later only affects new vaults.
 */
export const ARGON2_DEFAULTS: Argon2Params = { memoryKiB: 131_072, iterations: 3, parallelism: 1 };

export type WrapperKind = 'prf' | 'passphrase';

const KEK_INFO: Record<WrapperKind, Bytes> = {
  prf: utf8(`${Label.VAULT}/kek/prf`),
  passphrase: utf8(`${Label.VAULT}/kek/passphrase`),
};

/** Binds a wrapped key to how it was wrapped, so a blob cannot be replayed under another wrapper. */
export function wrapAad(kind: WrapperKind, credentialId: string): Bytes {
  return concat(
    utf8(`${Label.VAULT}/wrapped-key/v1`),
    new Uint8Array([0]),
    utf8(kind),
    new Uint8Array([0]),
    utf8(credentialId),
  );
}

async function kekFromSecret(ikm: Bytes, salt: Bytes, kind: WrapperKind): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey('raw', ikm, 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt, info: KEK_INFO[kind] },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    ['wrapKey', 'unwrapKey'],
  );
}

export function kekFromPrf(prfOutput: Bytes, salt: Bytes): Promise<CryptoKey> {
  if (prfOutput.length !== PRF_OUTPUT_BYTES) {
    throw extError(
      ExtErrorCode.VAULT_WRONG_SECRET,
      'Cannot unlock: the passkey returned no usable secret',
    );
  }
  return kekFromSecret(prfOutput, salt, 'prf');
}

export async function kekFromPassphrase(
  passphrase: string,
  salt: Bytes,
  params: Argon2Params,
): Promise<CryptoKey> {
  const stretched = await stretchPassphrase(passphrase, salt, params);
  try {
    return await kekFromSecret(stretched, salt, 'passphrase');
  } finally {
    wipe(stretched);
  }
}

/** A fresh vault key: extractable only so it can be wrapped once, then dropped. */
export function generateWrappableKey(): Promise<CryptoKey> {
  return crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt', 'decrypt']);
}

export async function wrapVaultKey(
  vaultKey: CryptoKey,
  kek: CryptoKey,
  iv: Bytes,
  aad: Bytes,
): Promise<Bytes> {
  const wrapped = await crypto.subtle.wrapKey('raw', vaultKey, kek, {
    name: 'AES-GCM',
    iv,
    additionalData: aad,
  });
  return new Uint8Array(wrapped);
}

/**
 * Unwraps into a non-extractable key (extractable only when the caller must
 * keep a session copy, see vault-session.ts); a wrong KEK or a tampered blob
 * fails GCM authentication.
 */
export async function unwrapVaultKey(
  wrapped: Bytes,
  kek: CryptoKey,
  iv: Bytes,
  aad: Bytes,
  extractable = false,
): Promise<CryptoKey> {
  try {
    return await crypto.subtle.unwrapKey(
      'raw',
      wrapped,
      kek,
      { name: 'AES-GCM', iv, additionalData: aad },
      { name: 'AES-GCM', length: 256 },
      extractable,
      ['encrypt', 'decrypt'],
    );
  } catch {
    throw extError(ExtErrorCode.VAULT_WRONG_SECRET, 'Cannot unlock: wrong passphrase or passkey');
  }
}

/** The raw bytes of an extractable vault key (for the session copy only). */
export async function exportVaultKey(key: CryptoKey): Promise<Bytes> {
  return new Uint8Array(await crypto.subtle.exportKey('raw', key));
}

/** A vault key from its raw bytes, non-extractable from then on. */
export function importVaultKey(raw: Bytes): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', raw, { name: 'AES-GCM', length: 256 }, false, [
    'encrypt',
    'decrypt',
  ]);
}
