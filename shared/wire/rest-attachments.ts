/**
 * Attachments: the client encrypts a file (random key, AES-256-GCM), uploads
 * the ciphertext in ATTACHMENT_CHUNK_BYTES chunks and sends the id, key and
 * digest inside an end-to-end encrypted message. The relay sees only sizes
 * and opaque bytes, checks the SHA-256 of the whole ciphertext on completion,
 * and deletes it after ATTACHMENT_RETENTION_MS.
 *
 *   POST /v1/attachments                      AttachmentCreateRequest -> AttachmentCreatedResponse
 *   PUT  /v1/attachments/:id/chunks/:index    raw bytes (application/octet-stream) -> 204
 *   POST /v1/attachments/:id/complete         {} -> AttachmentInfoResponse
 *   GET  /v1/attachments/:id                  -> AttachmentInfoResponse
 *   GET  /v1/attachments/:id/chunks/:index    -> raw bytes
 * All device-signed. A chunk is exactly ATTACHMENT_CHUNK_BYTES except the
 * last; re-uploading a chunk replaces it (resumable uploads).
 */
import * as v from 'valibot';
import { ErrorCode, fail } from '../errors.ts';
import { TimestampSchema, Uint32Schema, uintSchema } from './fields.ts';
import { ATTACHMENT_CHUNK_BYTES, ATTACHMENT_MAX_BYTES } from './limits.ts';
import { OpaqueIdSchema, Sha256Schema } from './rest-fields.ts';

const SizeSchema = v.pipe(uintSchema(ATTACHMENT_MAX_BYTES), v.minValue(1));

export const AttachmentCreateRequestSchema = v.strictObject({
  /** Ciphertext bytes. */
  size: SizeSchema,
  /** SHA-256 of the whole ciphertext. */
  digest: Sha256Schema,
});

export const AttachmentCreatedResponseSchema = v.strictObject({
  id: OpaqueIdSchema,
  chunkBytes: v.pipe(Uint32Schema, v.minValue(1)),
  chunks: v.pipe(Uint32Schema, v.minValue(1)),
  expiresAt: TimestampSchema,
});

export const AttachmentInfoResponseSchema = v.strictObject({
  id: OpaqueIdSchema,
  size: SizeSchema,
  digest: Sha256Schema,
  /** True once every chunk arrived and the digest matched; only then can it be downloaded. */
  complete: v.boolean(),
  expiresAt: TimestampSchema,
});

export type AttachmentCreateRequest = v.InferOutput<typeof AttachmentCreateRequestSchema>;
export type AttachmentCreatedResponse = v.InferOutput<typeof AttachmentCreatedResponseSchema>;
export type AttachmentInfoResponse = v.InferOutput<typeof AttachmentInfoResponseSchema>;

/** Number of chunks for `size` ciphertext bytes. */
export function attachmentChunkCount(size: number, chunkBytes = ATTACHMENT_CHUNK_BYTES): number {
  if (!Number.isSafeInteger(size) || size < 1 || size > ATTACHMENT_MAX_BYTES) {
    fail(ErrorCode.ATTACHMENT_INVALID, `Attachment size must be 1..${ATTACHMENT_MAX_BYTES} bytes`);
  }
  return Math.ceil(size / chunkBytes);
}

/** Exact byte length chunk `index` must have; throws ATTACHMENT_INVALID for an index out of range. */
export function attachmentChunkLength(
  size: number,
  index: number,
  chunkBytes = ATTACHMENT_CHUNK_BYTES,
): number {
  const count = attachmentChunkCount(size, chunkBytes);
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) {
    fail(ErrorCode.ATTACHMENT_INVALID, 'Attachment chunk index out of range', { chunks: count });
  }
  return index === count - 1 ? size - chunkBytes * (count - 1) : chunkBytes;
}
