/**
 * Backups (docs/wire.md, "Backups"): encrypted snapshots stored under a
 * backup id that only the recovery key's holder can compute, authorized by
 * the backup auth key (backup-request.ts), never by an account.
 *
 *   POST   /v1/backups/:backupId/snapshots                       {seq} -> SnapshotUpload (201)
 *   PUT    /v1/backups/:backupId/snapshots/:seq/chunks/:index    raw bytes -> 204
 *   POST   /v1/backups/:backupId/snapshots/:seq/complete         {} -> SnapshotInfo
 *   GET    /v1/backups/:backupId/snapshots                       -> SnapshotList
 *   GET    /v1/backups/:backupId/snapshots/:seq/chunks/:index    -> raw bytes (206 with Range)
 *   DELETE /v1/backups/:backupId                                 -> 204
 *
 * The first upload pins the auth public key to the backup id (trust on first
 * use); every later request must be signed by it. The relay keeps the two
 * complete snapshots with the highest `seq`; the list is the relay's claim
 * only: the client believes the seq and date signed inside the snapshot.
 */
import * as v from 'valibot';
import { TimestampSchema, Uint32Schema, uintSchema } from './fields.ts';
import {
  BACKUP_ID_BYTES,
  BACKUP_MAX_BYTES,
  BACKUP_SEQ_MAX,
  BACKUP_SNAPSHOTS_KEPT,
} from './limits.ts';
import { BASE64URL_PATTERN, base64UrlLength } from './rest-fields.ts';

/** A backup id as it appears in paths: 16 bytes, unpadded base64url. */
export const BackupIdSchema = v.pipe(
  v.string(),
  v.length(base64UrlLength(BACKUP_ID_BYTES)),
  v.regex(BASE64URL_PATTERN),
);

export const SnapshotSeqSchema = v.pipe(uintSchema(BACKUP_SEQ_MAX), v.minValue(1));

export const SnapshotStartRequestSchema = v.strictObject({
  /** The snapshot's sequence number (the client's previous highest + 1). */
  seq: SnapshotSeqSchema,
});

export const SnapshotUploadResponseSchema = v.strictObject({
  seq: SnapshotSeqSchema,
  /** Every chunk but the last must be exactly this long. */
  chunkBytes: v.pipe(Uint32Schema, v.minValue(1)),
  /** The relay's cap on one snapshot (413 BODY_TOO_LARGE past it). */
  maxBytes: v.pipe(uintSchema(BACKUP_MAX_BYTES), v.minValue(1)),
});

export const SnapshotInfoSchema = v.strictObject({
  seq: SnapshotSeqSchema,
  size: v.pipe(uintSchema(BACKUP_MAX_BYTES), v.minValue(1)),
  chunkBytes: v.pipe(Uint32Schema, v.minValue(1)),
  chunks: v.pipe(Uint32Schema, v.minValue(1)),
  /** When the relay stored it (its clock, unsigned): show the signed date from the snapshot. */
  storedAt: TimestampSchema,
});

export const SnapshotListResponseSchema = v.strictObject({
  /** Complete snapshots, highest seq first. */
  snapshots: v.pipe(v.array(SnapshotInfoSchema), v.maxLength(BACKUP_SNAPSHOTS_KEPT)),
});

export type SnapshotStartRequest = v.InferOutput<typeof SnapshotStartRequestSchema>;
export type SnapshotUploadResponse = v.InferOutput<typeof SnapshotUploadResponseSchema>;
export type SnapshotInfo = v.InferOutput<typeof SnapshotInfoSchema>;
export type SnapshotListResponse = v.InferOutput<typeof SnapshotListResponseSchema>;
