/**
 * Uploads in progress, kept as records so a send survives a closed side panel
 * or a restarted browser: the page that picked the file stores what it needs
 * to upload the same ciphertext again (the file's key, the relay's id and
 * upload token, the file's name, size and last-modified time to find it
 * again), and deletes the record once the message is sent or the upload is
 * cancelled. In the extension the record is sealed like every other record.
 */
import * as v from 'valibot';
import { ErrorCode, fail } from '../../errors.ts';
import { ATTACHMENT_MAX_BYTES } from '../../wire/limits.ts';
import type { ClientHost } from '../host.ts';
import { decodeRecord, encodeRecord, IntField } from '../store/record-codec.ts';
import { Keys } from '../store/storage-keys.ts';

const B64 = /^[A-Za-z0-9_-]*$/;
const b64 = (chars: number) => v.pipe(v.string(), v.length(chars), v.regex(B64));

export const PendingUploadSchema = v.strictObject({
  /** Chosen by the page: 16 random bytes, base64url. */
  id: b64(22),
  conversationId: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
  name: v.pipe(v.string(), v.maxLength(255)),
  mime: v.pipe(v.string(), v.maxLength(255)),
  size: v.pipe(IntField, v.minValue(0)),
  lastModified: IntField,
  /** The file's own key (base64url, 32 bytes): the same chunks come out again on resume. */
  key: b64(43),
  /** Set once the relay announced the upload. */
  relayId: v.exactOptional(b64(22)),
  uploadToken: v.exactOptional(b64(43)),
  /** The relay's transport chunk size from the create response (needed to cut the same chunks). */
  chunkBytes: v.exactOptional(v.pipe(IntField, v.minValue(1), v.maxValue(ATTACHMENT_MAX_BYTES))),
  /**
   * SHA-256 of the file's first 64 KiB, first 16 bytes (base64url): after a
   * restart the person picks the file again and the page checks it is the
   * same one (with the size) before resuming (docs/extension.md "Attachments").
   */
  head: v.exactOptional(b64(22)),
  /**
   * The blob format version the upload was begun in (shared/attachments/format.ts);
   * a resume must write the same bytes again. Absent: 1 (records from before v2).
   */
  formatVersion: v.exactOptional(v.picklist([1, 2])),
  caption: v.pipe(v.string(), v.maxLength(16_384)),
  createdAt: IntField,
});

export type PendingUpload = v.InferOutput<typeof PendingUploadSchema>;

/** At most this many uploads wait per device (a page cannot fill the store). */
export const PENDING_UPLOADS_MAX = 64;

export function createPendingUploads(host: Pick<ClientHost, 'records' | 'transact'>) {
  async function listPendingUploads(): Promise<PendingUpload[]> {
    const rows = await host.records.list(Keys.pendingUploads);
    return rows.map(([, raw]) => decodeRecord(PendingUploadSchema, raw, 'pending upload'));
  }

  async function savePendingUpload(upload: PendingUpload): Promise<void> {
    const parsed = v.safeParse(PendingUploadSchema, upload);
    if (!parsed.success) fail(ErrorCode.BAD_ARGUMENT, 'Not a pending upload');
    const checked = parsed.output;
    await host.transact(async (batch) => {
      const existing = await host.records.list(Keys.pendingUploads);
      const known = existing.some(([key]) => key === Keys.pendingUpload(checked.id));
      if (!known && existing.length >= PENDING_UPLOADS_MAX) {
        fail(ErrorCode.BAD_ARGUMENT, `At most ${PENDING_UPLOADS_MAX} uploads can wait`);
      }
      batch.set(Keys.pendingUpload(checked.id), encodeRecord(checked));
    });
  }

  async function deletePendingUpload(id: string): Promise<void> {
    await host.transact(async (batch) => {
      batch.delete(Keys.pendingUpload(id));
    });
  }

  return { listPendingUploads, savePendingUpload, deletePendingUpload };
}
