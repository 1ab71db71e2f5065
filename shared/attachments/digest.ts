/**
 * The digest of an attachment blob that the pointer carries, fed with the
 * blob in order while it is encrypted or downloaded (docs/protocol.md
 * "Attachments", "Digest"). Two schemes, named by the pointer's
 * `digestScheme`:
 *
 *  - 2 (`PIECE_LIST`, what uploads write): SHA-256 over a label, the blob
 *    length and the SHA-256 of each 1 MiB piece of the blob. Each piece is
 *    one `crypto.subtle.digest` call: native SHA-256 (SHA-NI where the CPU
 *    has it) that the browser and Node run off the calling thread, several
 *    pieces at once. WebCrypto has no incremental digest, which is why the
 *    blob is hashed piece by piece rather than as one stream.
 *  - 1 (`BLOB_SHA256`, absent in a pointer): SHA-256 of the whole blob,
 *    incremental in hash-wasm on the calling thread; how the first pointers
 *    were written, still verified on download.
 *
 * Any other scheme is refused before a byte is fetched (MESSAGE_VERSION).
 */
import { createSHA256 } from 'hash-wasm';
import { type Bytes, concat, utf8 } from '../bytes.ts';
import { Label } from '../crypto/labels.ts';
import { ErrorCode, ParleyError } from '../errors.ts';

export const DigestScheme = {
  /** SHA-256 of the whole blob (pointers without `digestScheme`). */
  BLOB_SHA256: 1,
  /** SHA-256(label ‖ BE64(blob bytes) ‖ SHA-256 of each 1 MiB piece). */
  PIECE_LIST: 2,
} as const;

/** What an upload writes into the pointer. */
export const CURRENT_DIGEST_SCHEME = DigestScheme.PIECE_LIST;

/** Blob bytes per piece of the piece-list digest; the last piece may be short. */
export const DIGEST_PIECE_BYTES = 1024 * 1024;

/**
 * Pieces hashed at once: WebCrypto copies each piece when called, so this
 * bounds those copies (4 MiB) while keeping a few of its threads busy.
 */
const PIECES_IN_FLIGHT = 4;

/** A digest of one blob, fed in blob order. */
export interface BlobDigester {
  /**
   * Feeds the next bytes. The digester never keeps the caller's bytes past
   * the call (it copies what it needs), so the caller may hand them on at
   * once; the promise settles when there is room for more.
   */
  update(bytes: Uint8Array): Promise<void>;
  /** The digest of everything fed; the digester is done after this. */
  digest(): Promise<Bytes>;
}

/** Incremental SHA-256 on the calling thread (hash-wasm): scheme 1, and whole blobs held in memory. */
export interface Sha256Stream {
  update(bytes: Uint8Array): void;
  digest(): Bytes;
}

export async function createSha256Stream(): Promise<Sha256Stream> {
  const hasher = await createSHA256();
  hasher.init();
  return {
    update: (bytes) => {
      hasher.update(bytes);
    },
    digest: () => hasher.digest('binary') as Bytes,
  };
}

async function sha256Native(bytes: Uint8Array): Promise<Bytes> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Bytes));
}

/** The preimage of the piece-list digest, from the blob length and its piece digests in order. */
export function pieceListPreimage(blobBytes: number, pieceDigests: readonly Uint8Array[]): Bytes {
  const length = new Uint8Array(8);
  new DataView(length.buffer).setBigUint64(0, BigInt(blobBytes), false);
  return concat(utf8(Label.ATTACHMENT_DIGEST), length, ...pieceDigests);
}

/** Scheme 2: each full piece goes to WebCrypto as soon as it is complete. */
export function pieceListDigester(): BlobDigester {
  const pieces: Promise<Bytes>[] = [];
  let settled = 0;
  let total = 0;
  /** Bytes of a piece that spans two updates; pieces inside one update are hashed as views. */
  let partial: Uint8Array | undefined;
  let filled = 0;
  let done = false;
  const hashPiece = (piece: Uint8Array): void => {
    // subtle.digest copies its input at the call, so views and the reused buffer are safe.
    const digest = sha256Native(piece);
    digest.catch(() => undefined);
    pieces.push(digest);
  };
  return {
    async update(bytes) {
      if (done) throw new RangeError('BlobDigester: update after digest');
      total += bytes.length;
      let at = 0;
      while (at < bytes.length) {
        if (filled === 0 && bytes.length - at >= DIGEST_PIECE_BYTES) {
          hashPiece(bytes.subarray(at, at + DIGEST_PIECE_BYTES));
          at += DIGEST_PIECE_BYTES;
          continue;
        }
        partial ??= new Uint8Array(DIGEST_PIECE_BYTES);
        const take = Math.min(DIGEST_PIECE_BYTES - filled, bytes.length - at);
        partial.set(bytes.subarray(at, at + take), filled);
        filled += take;
        at += take;
        if (filled === DIGEST_PIECE_BYTES) {
          hashPiece(partial);
          filled = 0;
        }
      }
      while (pieces.length - settled > PIECES_IN_FLIGHT) await pieces[settled++];
    },
    async digest() {
      if (done) throw new RangeError('BlobDigester: digest twice');
      done = true;
      if (filled > 0) hashPiece((partial as Uint8Array).subarray(0, filled));
      return sha256Native(pieceListPreimage(total, await Promise.all(pieces)));
    },
  };
}

/** Scheme 1: the whole blob through one incremental SHA-256 on this thread. */
async function blobSha256Digester(): Promise<BlobDigester> {
  const hash = await createSha256Stream();
  return {
    update: async (bytes) => hash.update(bytes),
    digest: async () => hash.digest(),
  };
}

/** The digester for a pointer's scheme (absent: 1); MESSAGE_VERSION for a scheme this version does not know. */
export async function digesterFor(scheme: number | undefined): Promise<BlobDigester> {
  const known = scheme ?? DigestScheme.BLOB_SHA256;
  if (known === DigestScheme.PIECE_LIST) return pieceListDigester();
  if (known === DigestScheme.BLOB_SHA256) return blobSha256Digester();
  throw new ParleyError(
    ErrorCode.MESSAGE_VERSION,
    'The attachment uses a digest this version does not know (sent by a newer Parley)',
    { digestScheme: known },
  );
}
