/**
 * Encrypted attachments (shared/wire/rest-attachments.ts): the uploading
 * device announces size and SHA-256 of the ciphertext, uploads fixed-size
 * chunks (re-uploads replace: resumable), and completes; the relay checks the
 * digest before anyone may download. The id is 16 random bytes: whoever holds
 * it (from an end-to-end encrypted message) may read the ciphertext, as in
 * Signal's CDN. Everything is deleted at expiry by the sweeper.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { type Bytes, equalBytes, toBase64Url } from '../../shared/bytes.ts';
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import { ATTACHMENT_CHUNK_BYTES, ATTACHMENT_RETENTION_MS } from '../../shared/wire/limits.ts';
import {
  type AttachmentCreatedResponse,
  type AttachmentCreateRequest,
  type AttachmentInfoResponse,
  attachmentChunkCount,
  attachmentChunkLength,
} from '../../shared/wire/rest-attachments.ts';
import {
  type AttachmentRow,
  chunksInOrder,
  countChunks,
  createAttachment,
  findAttachment,
  getChunk,
  markComplete,
  putChunk,
} from '../db/attachments.ts';
import type { Db } from '../db/open.ts';
import type { RateLimiter } from '../limits/rate-limiter.ts';

export interface AttachmentServiceDeps {
  readonly db: Db;
  readonly now: () => number;
  readonly random: (n: number) => Bytes;
  /** Bytes announced per uploading device (cost = attachment size). */
  readonly bytesLimiter: RateLimiter;
  /** Throws STORAGE_FULL while the database is above its watermark (send-quota.ts). */
  readonly checkStorage?: () => Promise<void>;
}

interface Caller {
  readonly accountId: string;
  readonly deviceId: number;
}

function notFound(): ParleyError {
  return new ParleyError(ErrorCode.NOT_FOUND, 'No such attachment', { what: 'attachment' });
}

function invalid(message: string, details?: Record<string, number | string>): ParleyError {
  return new ParleyError(ErrorCode.ATTACHMENT_INVALID, message, details);
}

function info(row: AttachmentRow): AttachmentInfoResponse {
  return {
    id: row.id,
    size: row.size,
    digest: Uint8Array.from(row.digest),
    complete: row.complete,
    expiresAt: row.expiresAt,
  };
}

export class AttachmentService {
  readonly #d: AttachmentServiceDeps;

  constructor(deps: AttachmentServiceDeps) {
    this.#d = deps;
  }

  async create(
    caller: Caller,
    request: AttachmentCreateRequest,
  ): Promise<AttachmentCreatedResponse> {
    // New uploads are refused above the watermark like stored sends (chunks of uploads already
    // announced still land: they are bounded by the announced sizes).
    await this.#d.checkStorage?.();
    const decision = await this.#d.bytesLimiter.consume(
      `${caller.accountId}/${caller.deviceId}`,
      request.size,
    );
    if (!decision.allowed) {
      throw new ParleyError(ErrorCode.RATE_LIMITED, 'Attachment upload quota exceeded', {
        retryAfterSeconds: decision.retryAfterSeconds,
      });
    }
    const now = this.#d.now();
    const id = toBase64Url(this.#d.random(16));
    const expiresAt = now + ATTACHMENT_RETENTION_MS;
    await createAttachment(this.#d.db, {
      id,
      ownerAccount: caller.accountId,
      ownerDevice: caller.deviceId,
      size: request.size,
      digest: request.digest,
      createdAt: now,
      expiresAt,
    });
    return {
      id,
      chunkBytes: ATTACHMENT_CHUNK_BYTES,
      chunks: attachmentChunkCount(request.size),
      expiresAt,
    };
  }

  /** Live (unexpired) attachment; uploads are only for the device that created it. */
  async #live(id: string, owner?: Caller): Promise<AttachmentRow> {
    const row = await findAttachment(this.#d.db, id);
    if (row === undefined || row.expiresAt <= this.#d.now()) throw notFound();
    if (
      owner !== undefined &&
      (row.ownerAccount !== owner.accountId || row.ownerDevice !== owner.deviceId)
    )
      throw notFound();
    return row;
  }

  async putChunk(caller: Caller, id: string, index: number, data: Uint8Array): Promise<void> {
    const row = await this.#live(id, caller);
    if (row.complete) throw invalid('Attachment is already complete');
    const expected = attachmentChunkLength(row.size, index);
    if (data.length !== expected)
      throw invalid(`Chunk ${index} must be ${expected} bytes`, { expected, actual: data.length });
    await putChunk(this.#d.db, id, index, data);
  }

  /** Checks that every chunk is there and the SHA-256 matches; only then is it downloadable. */
  async complete(caller: Caller, id: string): Promise<AttachmentInfoResponse> {
    const row = await this.#live(id, caller);
    if (row.complete) return info(row);
    const chunks = attachmentChunkCount(row.size);
    const present = await countChunks(this.#d.db, id);
    if (present !== chunks)
      throw invalid('Chunks are missing', { expected: chunks, actual: present });
    const hash = sha256.create();
    for await (const chunk of chunksInOrder(this.#d.db, id, chunks)) hash.update(chunk);
    if (!equalBytes(hash.digest(), row.digest))
      throw invalid('Digest does not match the uploaded ciphertext');
    await markComplete(this.#d.db, id);
    return { ...info(row), complete: true };
  }

  async info(id: string): Promise<AttachmentInfoResponse> {
    return info(await this.#live(id));
  }

  async getChunk(id: string, index: number): Promise<Uint8Array> {
    const row = await this.#live(id);
    if (!row.complete) throw notFound();
    attachmentChunkLength(row.size, index);
    const data = await getChunk(this.#d.db, id, index);
    if (data === undefined) throw notFound();
    return Uint8Array.from(data);
  }
}
