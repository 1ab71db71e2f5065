/**
 * Passphrase stretching with Argon2id (hash-wasm): the one place the
 * extension's passphrase vault and the CLI's sealed profile turn a passphrase
 * into 32 secret bytes. Each caller derives its own key from them with its
 * own HKDF label, so the two never share a key.
 */
import { argon2id } from 'hash-wasm';
import { type Bytes, utf8, wipe } from '../bytes.ts';

export interface Argon2Params {
  /** KiB of memory. */
  readonly memoryKiB: number;
  readonly iterations: number;
  readonly parallelism: number;
}

/**
 * Argon2id(NFKC(passphrase), salt) → 32 bytes. The caller wipes the result
 * once its key is derived; the encoded passphrase is wiped here.
 */
export async function stretchPassphrase(
  passphrase: string,
  salt: Bytes,
  params: Argon2Params,
): Promise<Bytes> {
  // NFKC: the same passphrase typed on another keyboard or OS must open the vault.
  const password = utf8(passphrase.normalize('NFKC'));
  try {
    return (await argon2id({
      password,
      salt,
      memorySize: params.memoryKiB,
      iterations: params.iterations,
      parallelism: params.parallelism,
      hashLength: 32,
      outputType: 'binary',
    })) as Bytes;
  } finally {
    wipe(password);
  }
}
