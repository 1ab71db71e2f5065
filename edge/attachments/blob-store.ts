/**
 * Where attachment ciphertext lives (docs/relay.md, "Attachments"). One
 * interface, two backends: libSQL chunk rows (the default: the relay reads
 * and serves the bytes itself) and an S3-compatible object store (R2, S3,
 * MinIO), where the relay answers chunk PUT and GET with a presigned URL so
 * the bytes never pass through it. The attachment rows (owner, size, token,
 * expiry) stay in the database either way; a store holds only opaque bytes
 * keyed by attachment id and chunk index.
 */

/** One chunk of one attachment, with the exact length it must have. */
export interface ChunkRef {
  readonly id: string;
  readonly index: number;
  readonly length: number;
}

/** Inclusive byte range within one chunk (already checked against its length). */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** The client is sent elsewhere (307): a presigned object-store URL. */
export interface Redirect {
  readonly redirect: string;
}

export interface BlobStore {
  /** `libsql` or `s3`, for logs and /healthz-style reporting. */
  readonly kind: 'libsql' | 's3';
  /**
   * Stores one chunk (replacing an earlier upload of it), reading the body
   * through `read`, or returns where the client must PUT it instead.
   */
  put(chunk: ChunkRef, read: () => Promise<Uint8Array>): Promise<Redirect | undefined>;
  /** One chunk (or a range of it), where the client must GET it, or undefined if not stored. */
  get(chunk: ChunkRef, range: ByteRange | undefined): Promise<Uint8Array | Redirect | undefined>;
  /** Stored chunks of an attachment: index -> stored length. */
  received(id: string): Promise<ReadonlyMap<number, number>>;
  /** Deletes every stored chunk of these attachments (idempotent). */
  delete(ids: readonly string[], chunksOf: (id: string) => number): Promise<void>;
}

export function isRedirect(value: unknown): value is Redirect {
  return typeof value === 'object' && value !== null && 'redirect' in value;
}
