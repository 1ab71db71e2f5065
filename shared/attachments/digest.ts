/**
 * SHA-256 of a whole blob, fed chunk by chunk (WebCrypto has no streaming
 * digest). hash-wasm, because it hashes several times faster than a pure-JS
 * SHA-256 and attachments are the one place Parley hashes hundreds of MB;
 * extension pages allow it ('wasm-unsafe-eval', wxt.config.ts).
 */
import { createSHA256 } from 'hash-wasm';
import type { Bytes } from '../bytes.ts';

export interface BlobDigest {
  update(bytes: Uint8Array): void;
  /** The digest of everything fed so far; the hasher is done after this. */
  digest(): Bytes;
}

export async function createBlobDigest(): Promise<BlobDigest> {
  const hasher = await createSHA256();
  hasher.init();
  return {
    update: (bytes) => {
      hasher.update(bytes);
    },
    digest: () => hasher.digest('binary') as Bytes,
  };
}
