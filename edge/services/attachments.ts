/**
 * Encrypted attachments (docs/relay.md, "Attachments"; the wire contract in
 * shared/wire/rest-attachments.ts). The uploading device declares a
 * ciphertext size and gets an id and an upload token; chunks go to the
 * BlobStore (re-uploads replace: resumable); `complete` checks that every
 * chunk is stored with its exact length. The relay never sees a digest: the
 * recipient checks the SHA-256 from the end-to-end pointer while
 * downloading. The id (16 random bytes) is the download capability, as in
 * Signal's CDN. Bytes go at expiry, 24 h after creation if never completed,
 * or when the uploader deletes them.
 *
 * A transfer blob (docs/relay.md, "Transfer blobs") is the same upload with
 * `purpose: 'transfer'`: it expires after `transferTtlMs` (1 h), may be
 * created only while the account has another device added within the last
 * hour (a history archive is for a device just linked, never a standing
 * store), and the new device's DELETE after import (same account) ends it.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { type Bytes, equalBytes, toBase64Url } from '../../shared/bytes.ts';
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import {
  ATTACHMENT_CHUNK_BYTES,
  ATTACHMENT_INCOMPLETE_MS,
  ATTACHMENT_UPLOAD_TOKEN_BYTES,
  OPAQUE_ID_BYTES,
  TRANSFER_NEW_DEVICE_WINDOW_MS,
} from '../../shared/wire/limits.ts';
import {
  type AttachmentCreatedResponse,
  type AttachmentCreateRequest,
  type AttachmentInfoResponse,
  type AttachmentStatusResponse,
  attachmentChunkCount,
  attachmentChunkLength,
} from '../../shared/wire/rest-attachments.ts';
import type { BlobStore, ByteRange, Redirect } from '../attachments/blob-store.ts';
import type { AttachmentConfig } from '../attachments/config.ts';
import {
  type AttachmentRow,
  createAttachment,
  deleteAttachments,
  findAttachment,
  markComplete,
  outstandingBytes,
} from '../db/attachments.ts';
import { hasDeviceAddedSince } from '../db/devices.ts';
import type { Db } from '../db/open.ts';
import type { RateLimiter } from '../limits/rate-limiter.ts';
import type { RelayMetrics } from '../observability/metrics.ts';

export interface AttachmentServiceDeps {
  readonly db: Db;
  readonly store: BlobStore;
  readonly config: Pick<
    AttachmentConfig,
    'maxBytes' | 'retentionDays' | 'outstandingBytes' | 'transferTtlMs'
  >;
  readonly now: () => number;
  readonly random: (n: number) => Bytes;
  /** Bytes declared per account per day (cost = attachment size). */
  readonly dailyBytes: RateLimiter;
  readonly metrics: RelayMetrics;
  /** Throws STORAGE_FULL while the database is above its watermark (send-quota.ts). */
  readonly checkStorage?: () => Promise<void>;
}

export interface Caller {
  readonly accountId: string;
  readonly deviceId: number;
}

const DAY_MS = 86_400_000;

function notFound(): ParleyError {
  return new ParleyError(ErrorCode.NOT_FOUND, 'No such attachment', { what: 'attachment' });
}

function invalid(message: string, details?: Record<string, number | string>): ParleyError {
  return new ParleyError(ErrorCode.ATTACHMENT_INVALID, message, details);
}

function info(row: AttachmentRow, complete = row.complete): AttachmentInfoResponse {
  return {
    id: row.id,
    size: row.size,
    chunkBytes: ATTACHMENT_CHUNK_BYTES,
    chunks: attachmentChunkCount(row.size),
    complete,
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
    const { config, db } = this.#d;
    if (request.size > config.maxBytes) {
      throw new ParleyError(
        ErrorCode.ATTACHMENT_TOO_LARGE,
        `Attachments are limited to ${config.maxBytes} bytes`,
        { max: config.maxBytes },
      );
    }
    // Chunk rows count against the database watermark; an object store has its own limits.
    if (this.#d.store.kind === 'libsql') await this.#d.checkStorage?.();
    const now = this.#d.now();
    const held = await outstandingBytes(db, caller.accountId, now);
    if (held + request.size > config.outstandingBytes) {
      throw new ParleyError(ErrorCode.ATTACHMENT_QUOTA, 'Attachment storage quota exceeded', {
        max: config.outstandingBytes,
      });
    }
    const purpose = request.purpose ?? 'attachment';
    if (purpose === 'transfer') await this.#checkTransferAllowed(caller, now);
    const decision = await this.#d.dailyBytes.consume(caller.accountId, request.size);
    if (!decision.allowed) {
      throw new ParleyError(ErrorCode.RATE_LIMITED, 'Daily attachment upload quota exceeded', {
        retryAfterSeconds: decision.retryAfterSeconds,
        scope: 'attachment-bytes',
      });
    }
    const id = toBase64Url(this.#d.random(OPAQUE_ID_BYTES));
    const token = toBase64Url(this.#d.random(ATTACHMENT_UPLOAD_TOKEN_BYTES));
    const expiresAt =
      now + (purpose === 'transfer' ? config.transferTtlMs : config.retentionDays * DAY_MS);
    await createAttachment(db, {
      id,
      ownerAccount: caller.accountId,
      ownerDevice: caller.deviceId,
      size: request.size,
      tokenHash: hashToken(token),
      purpose,
      createdAt: now,
      expiresAt,
    });
    this.#d.metrics.attachmentUploads.inc({ event: 'created' });
    return {
      id,
      uploadToken: token,
      chunkBytes: ATTACHMENT_CHUNK_BYTES,
      chunks: attachmentChunkCount(request.size),
      expiresAt,
    };
  }

  /** Threat L8 (docs/protocol.md, "History transfer"): only right after a device was linked. */
  async #checkTransferAllowed(caller: Caller, now: number): Promise<void> {
    const since = now - TRANSFER_NEW_DEVICE_WINDOW_MS;
    if (!(await hasDeviceAddedSince(this.#d.db, caller.accountId, since, caller.deviceId))) {
      throw new ParleyError(
        ErrorCode.TRANSFER_NOT_ALLOWED,
        'A transfer blob needs a device added to this account within the last hour',
      );
    }
  }

  /** A live attachment (unexpired; if incomplete, younger than 24 h), or NOT_FOUND. */
  async #live(id: string): Promise<AttachmentRow> {
    const row = await findAttachment(this.#d.db, id);
    const now = this.#d.now();
    if (row === undefined || row.expiresAt <= now) throw notFound();
    if (!row.complete && row.createdAt + ATTACHMENT_INCOMPLETE_MS <= now) throw notFound();
    return row;
  }

  /** The upload the bearer token belongs to; any mismatch is NOT_FOUND (existence never leaks). */
  async #upload(id: string, token: string): Promise<AttachmentRow> {
    const row = await this.#live(id);
    if (!equalBytes(hashToken(token), row.tokenHash)) throw notFound();
    return row;
  }

  /**
   * Stores one chunk, or returns where to PUT it (object store). `declared`
   * is the request's Content-Length, checked before any byte is read.
   */
  async putChunk(
    id: string,
    token: string,
    index: number,
    read: () => Promise<Uint8Array>,
    declared: number | undefined,
  ): Promise<Redirect | undefined> {
    const row = await this.#upload(id, token);
    if (row.complete) throw invalid('Attachment is already complete');
    const length = attachmentChunkLength(row.size, index);
    if (declared !== undefined && declared !== length)
      throw invalid(`Chunk ${index} must be ${length} bytes`, {
        expected: length,
        actual: declared,
      });
    return this.#d.store.put({ id, index, length }, async () => {
      const data = await read();
      if (data.length !== length)
        throw invalid(`Chunk ${index} must be ${length} bytes`, {
          expected: length,
          actual: data.length,
        });
      return data;
    });
  }

  async status(id: string, token: string): Promise<AttachmentStatusResponse> {
    const row = await this.#upload(id, token);
    const received = await this.#d.store.received(id);
    const chunks = attachmentChunkCount(row.size);
    // A chunk of the wrong length (an object store that did not enforce the signed length)
    // counts as missing, so the client sends it again.
    const stored = [...received]
      .filter(
        ([index, length]) => index < chunks && length === attachmentChunkLength(row.size, index),
      )
      .map(([index]) => index)
      .sort((a, b) => a - b);
    return { ...info(row), received: stored };
  }

  /** Checks that every chunk is stored with its exact length; only then is it downloadable. */
  async complete(id: string, token: string): Promise<AttachmentInfoResponse> {
    const row = await this.#upload(id, token);
    if (row.complete) return info(row);
    const received = await this.#d.store.received(id);
    const chunks = attachmentChunkCount(row.size);
    const missing: number[] = [];
    for (let index = 0; index < chunks; index++) {
      if (received.get(index) !== attachmentChunkLength(row.size, index)) missing.push(index);
    }
    if (missing.length > 0)
      throw invalid('Chunks are missing', {
        expected: chunks,
        missing: missing.length,
        first: missing[0] as number,
      });
    await markComplete(this.#d.db, id);
    this.#d.metrics.attachmentUploads.inc({ event: 'completed' });
    this.#d.metrics.attachmentBytesUploaded.inc({}, row.size);
    return info(row, true);
  }

  /** Public: only complete attachments exist for readers. */
  async info(id: string): Promise<AttachmentInfoResponse> {
    const row = await this.#live(id);
    if (!row.complete) throw notFound();
    return info(row);
  }

  /**
   * Public: one chunk (the range of it `parseRange` picked), or where to GET it.
   * `range` is computed from the chunk's length by the caller.
   */
  async getChunk(
    id: string,
    index: number,
    rangeOf: (length: number) => ByteRange | undefined,
  ): Promise<{ data: Uint8Array | Redirect; length: number; range: ByteRange | undefined }> {
    const row = await this.#live(id);
    if (!row.complete) throw notFound();
    const length = attachmentChunkLength(row.size, index);
    const range = rangeOf(length);
    const data = await this.#d.store.get({ id, index, length }, range);
    if (data === undefined) throw notFound();
    return { data, length, range };
  }

  /**
   * Deletes an attachment now: only the uploading account may (any of its
   * devices: a transfer blob is ACKed by the new device); for anyone else it
   * does not exist.
   */
  async delete(caller: Caller, id: string): Promise<void> {
    const row = await findAttachment(this.#d.db, id);
    if (row === undefined || row.ownerAccount !== caller.accountId) throw notFound();
    await this.#d.store.delete([id], () => attachmentChunkCount(row.size));
    await deleteAttachments(this.#d.db, [id]);
    this.#d.metrics.attachmentsDeleted.inc({ reason: 'deleted' });
  }
}

/** The stored form of an upload token: SHA-256 of its base64url text's bytes. */
export function hashToken(token: string): Uint8Array {
  return sha256(new TextEncoder().encode(token));
}
