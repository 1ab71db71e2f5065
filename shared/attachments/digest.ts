/**
 * SHA-256 of a whole blob, fed chunk by chunk (WebCrypto has no streaming
 * digest). hash-wasm, because it hashes several times faster than a pure-JS
 * SHA-256 and attachments are the one place Parley hashes hundreds of MB;
 * extension pages allow it ('wasm-unsafe-eval', wxt.config.ts).
 *
 * Two shapes: `createBlobDigest` hashes on the calling thread, synchronously;
 * a `BlobHasher` is what a transfer feeds, asynchronous so that it may hash
 * on another thread (hash-worker-client.ts) while the caller fetches and
 * decrypts: SHA-256 cannot be split, so the only way to take its cost off
 * the transfer's path is to run it beside it (docs/client.md "Attachments").
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

/** An incremental SHA-256 of one blob that may run elsewhere; fed in blob order. */
export interface BlobHasher {
  /**
   * Feeds the next bytes. The hasher keeps its own copy (the caller may hand
   * the bytes on at once); the promise settles when there is room for more,
   * which is how a hasher on another thread bounds what waits for it.
   */
  update(bytes: Uint8Array): Promise<void>;
  /** The digest of everything fed; the hasher is done after this. */
  digest(): Promise<Bytes>;
  /** Forgets the blob (a failed or cancelled transfer); no effect once `digest` was asked. */
  dispose(): void;
}

/** Where a transfer gets its hashers (TransferDeps.hasher): one per blob. */
export type BlobHasherFactory = () => Promise<BlobHasher>;

/** Hashes on the calling thread: the default when a platform offers no worker. */
export const inThreadHasher: BlobHasherFactory = async () => {
  const hash = await createBlobDigest();
  return {
    update: async (bytes) => hash.update(bytes),
    digest: async () => hash.digest(),
    dispose: () => undefined,
  };
};
