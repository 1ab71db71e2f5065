/**
 * Attachments (docs/wire.md, "Attachments"): the client encrypts a file,
 * uploads the ciphertext in chunks of `chunkBytes`, and sends the id, key and
 * SHA-256 of the ciphertext inside an end-to-end encrypted message; the
 * recipient checks the digest while downloading. The relay sees only a size
 * and opaque bytes, and deletes them at expiry.
 *
 *   POST   /v1/attachments                    device  {size, purpose?} -> AttachmentCreatedResponse
 *   PUT    /v1/attachments/:id/chunks/:index  upload  raw bytes -> 204 (or 307 to the object store)
 *   GET    /v1/attachments/:id/status         upload  -> AttachmentStatusResponse
 *   POST   /v1/attachments/:id/complete       upload  {} -> AttachmentInfoResponse
 *   GET    /v1/attachments/:id                none    -> AttachmentInfoResponse
 *   GET    /v1/attachments/:id/chunks/:index  none    -> raw bytes (206 with Range, or 307)
 *   DELETE /v1/attachments/:id                device  -> 204
 *
 * `upload` is `Authorization: Bearer <uploadToken>` from the create response.
 * The id (16 random bytes) is the download capability. A chunk is exactly
 * `chunkBytes` except the last; re-uploading a chunk replaces it (resumable).
 * `purpose: 'transfer'` makes a single-use history-transfer blob instead
 * (UploadPurposeSchema); every other route is the same.
 */
import * as v from 'valibot';
import { ErrorCode, fail } from '../errors.ts';
import { TimestampSchema, Uint32Schema, uintSchema } from './fields.ts';
import {
  ATTACHMENT_CHUNK_BYTES,
  ATTACHMENT_MAX_BYTES,
  ATTACHMENT_MAX_CHUNKS,
  ATTACHMENT_UPLOAD_TOKEN_BYTES,
} from './limits.ts';
import { BASE64URL_PATTERN, base64UrlLength, OpaqueIdSchema } from './rest-fields.ts';

/** The upload token as base64url text (it goes into an Authorization header as is). */
export const UploadTokenSchema = v.pipe(
  v.string(),
  v.length(base64UrlLength(ATTACHMENT_UPLOAD_TOKEN_BYTES)),
  v.regex(BASE64URL_PATTERN),
);

const SizeSchema = v.pipe(uintSchema(ATTACHMENT_MAX_BYTES), v.minValue(1));
const ChunkCountSchema = v.pipe(Uint32Schema, v.minValue(1));

/**
 * `attachment` (the default): kept for the relay's retention. `transfer`: a
 * device-linking history archive (docs/relay.md, "Transfer blobs"): kept one
 * hour, allowed only while the account has a device added in the last hour,
 * and deleted by the new device's DELETE once imported.
 */
export const UploadPurposeSchema = v.picklist(['attachment', 'transfer']);
export type UploadPurpose = v.InferOutput<typeof UploadPurposeSchema>;

export const AttachmentCreateRequestSchema = v.strictObject({
  /** Ciphertext bytes (the relay refuses sizes above its configured limit: 413). */
  size: SizeSchema,
  purpose: v.optional(UploadPurposeSchema),
});

export const AttachmentCreatedResponseSchema = v.strictObject({
  id: OpaqueIdSchema,
  /** Bearer token for chunk PUT, status and complete; the relay stores only its SHA-256. */
  uploadToken: UploadTokenSchema,
  chunkBytes: v.pipe(Uint32Schema, v.minValue(1)),
  chunks: ChunkCountSchema,
  expiresAt: TimestampSchema,
});

export const AttachmentInfoResponseSchema = v.strictObject({
  id: OpaqueIdSchema,
  size: SizeSchema,
  chunkBytes: v.pipe(Uint32Schema, v.minValue(1)),
  chunks: ChunkCountSchema,
  /** True once every chunk arrived with its exact length; only then can it be downloaded. */
  complete: v.boolean(),
  expiresAt: TimestampSchema,
});

export const AttachmentStatusResponseSchema = v.strictObject({
  ...AttachmentInfoResponseSchema.entries,
  /** Chunk indexes already stored, ascending: a resumed upload sends only the others. */
  received: v.pipe(v.array(v.pipe(Uint32Schema)), v.maxLength(ATTACHMENT_MAX_CHUNKS)),
});

export type AttachmentCreateRequest = v.InferOutput<typeof AttachmentCreateRequestSchema>;
export type AttachmentCreatedResponse = v.InferOutput<typeof AttachmentCreatedResponseSchema>;
export type AttachmentInfoResponse = v.InferOutput<typeof AttachmentInfoResponseSchema>;
export type AttachmentStatusResponse = v.InferOutput<typeof AttachmentStatusResponseSchema>;

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
