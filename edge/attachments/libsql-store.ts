/**
 * The default BlobStore: ciphertext chunks as rows of `attachment_chunks` in
 * the relay's own database (the embedded file, or Turso/sqld over Hrana). The
 * relay reads each uploaded chunk (capped at its exact length) and serves it
 * back itself; a Range read fetches only the asked-for bytes (substr).
 */
import { chunkLengths, deleteChunks, getChunk, putChunk } from '../db/attachments.ts';
import type { Db } from '../db/open.ts';
import type { BlobStore, ByteRange, ChunkRef, Redirect } from './blob-store.ts';

export class LibsqlBlobStore implements BlobStore {
  readonly kind = 'libsql';
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async put(chunk: ChunkRef, read: () => Promise<Uint8Array>): Promise<Redirect | undefined> {
    await putChunk(this.#db, chunk.id, chunk.index, await read());
    return undefined;
  }

  get(chunk: ChunkRef, range: ByteRange | undefined): Promise<Uint8Array | undefined> {
    const slice =
      range === undefined ? undefined : { start: range.start, length: range.end - range.start + 1 };
    return getChunk(this.#db, chunk.id, chunk.index, slice);
  }

  received(id: string): Promise<ReadonlyMap<number, number>> {
    return chunkLengths(this.#db, id);
  }

  async delete(ids: readonly string[]): Promise<void> {
    await deleteChunks(this.#db, ids);
  }
}
