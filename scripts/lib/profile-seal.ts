/**
 * An optional passphrase-sealed CLI profile: `register --seal` with the
 * passphrase in PARLEY_PASSPHRASE. Like the extension's passphrase vault
 * (extension/entrypoints/background/vault-crypto.ts): Argon2id (hash-wasm,
 * 128 MiB, 3 passes by default, parameters stored per profile) stretched
 * through HKDF into an AES-256-GCM key that never leaves WebCrypto. Every
 * record value, keys.json and passkey.json are sealed with it; the record
 * names (`msg/<conversation>/<stamp>`…) stay readable, as in the extension.
 *
 * `seal.json` holds the salt, the parameters and a sealed check value, so a
 * wrong passphrase is told apart from a damaged record.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Bytes, concat, fromBase64Url, toBase64Url, utf8, wipe } from '../../shared/bytes.ts';
import { type Argon2Params, stretchPassphrase } from '../../shared/crypto/passphrase.ts';

const INFO = utf8('Parley/v1/cli-profile/key');
const CHECK = utf8('Parley/v1/cli-profile/check');
const IV_BYTES = 12;

export const PASSPHRASE_ENV = 'PARLEY_PASSPHRASE';

/** Argon2id cost; the default (SEAL_DEFAULTS) is the extension vault's. */
export type SealParams = Argon2Params;

/** The extension vault's passphrase cost (ARGON2_DEFAULTS there). */
export const SEAL_DEFAULTS: SealParams = { memoryKiB: 131_072, iterations: 3, parallelism: 1 };

interface SealFile extends SealParams {
  readonly v: 1;
  readonly kdf: 'argon2id';
  readonly salt: string;
  readonly check: string;
}

export class ProfileSealError extends Error {
  constructor(
    readonly code: 'PASSPHRASE_REQUIRED' | 'PASSPHRASE_WRONG' | 'RECORD_DAMAGED',
    message: string,
  ) {
    super(message);
    this.name = 'ProfileSealError';
  }
}

/** Seals and opens byte strings bound to a name (the record key or file), so sealed values cannot be swapped. */
export interface Sealer {
  seal(name: string, plain: Uint8Array): Promise<Bytes>;
  open(name: string, sealed: Uint8Array): Promise<Bytes>;
}

async function deriveKey(passphrase: string, salt: Bytes, params: SealParams): Promise<CryptoKey> {
  const stretched = await stretchPassphrase(passphrase, salt, params);
  try {
    const base = await crypto.subtle.importKey('raw', stretched, 'HKDF', false, ['deriveKey']);
    return await crypto.subtle.deriveKey(
      { name: 'HKDF', hash: 'SHA-256', salt, info: INFO },
      base,
      { name: 'AES-GCM', length: 256 },
      false,
      ['encrypt', 'decrypt'],
    );
  } finally {
    wipe(stretched);
  }
}

function sealerFor(key: CryptoKey): Sealer {
  return {
    async seal(name, plain) {
      const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
      const sealed = await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData: utf8(name) },
        key,
        plain as Uint8Array<ArrayBuffer>,
      );
      return concat(iv, new Uint8Array(sealed));
    },
    async open(name, sealed) {
      try {
        const plain = await crypto.subtle.decrypt(
          { name: 'AES-GCM', iv: sealed.slice(0, IV_BYTES), additionalData: utf8(name) },
          key,
          sealed.slice(IV_BYTES),
        );
        return new Uint8Array(plain);
      } catch {
        throw new ProfileSealError('RECORD_DAMAGED', `sealed profile data "${name}" does not open`);
      }
    },
  };
}

export function isSealed(dir: string): boolean {
  return existsSync(join(dir, 'seal.json'));
}

/** Makes `dir` a sealed profile (it must not hold an account yet). */
export async function createSeal(
  dir: string,
  passphrase: string,
  params: SealParams = SEAL_DEFAULTS,
): Promise<Sealer> {
  if (passphrase === '')
    throw new ProfileSealError(
      'PASSPHRASE_REQUIRED',
      `--seal needs a passphrase in ${PASSPHRASE_ENV}`,
    );
  const salt = crypto.getRandomValues(new Uint8Array(32));
  const sealer = sealerFor(await deriveKey(passphrase, salt, params));
  const file: SealFile = {
    v: 1,
    kdf: 'argon2id',
    ...params,
    salt: toBase64Url(salt),
    check: toBase64Url(await sealer.seal('seal.json', CHECK)),
  };
  writeFileSync(join(dir, 'seal.json'), JSON.stringify(file), { mode: 0o600 });
  return sealer;
}

/** Opens a sealed profile with the passphrase; a typed error when it is missing or wrong. */
export async function openSeal(dir: string, passphrase: string | undefined): Promise<Sealer> {
  if (passphrase === undefined || passphrase === '')
    throw new ProfileSealError(
      'PASSPHRASE_REQUIRED',
      `profile ${dir} is sealed: set ${PASSPHRASE_ENV} to its passphrase`,
    );
  const file = JSON.parse(readFileSync(join(dir, 'seal.json'), 'utf8')) as SealFile;
  const sealer = sealerFor(await deriveKey(passphrase, fromBase64Url(file.salt), file));
  try {
    await sealer.open('seal.json', fromBase64Url(file.check));
  } catch {
    throw new ProfileSealError(
      'PASSPHRASE_WRONG',
      `wrong passphrase for profile ${dir} (${PASSPHRASE_ENV})`,
    );
  }
  return sealer;
}
