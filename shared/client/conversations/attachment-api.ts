/**
 * The relay side of attachments that needs this device's signature: announce
 * an upload (the relay answers with an upload token the page uses for the
 * chunks) and delete one of our uploads. The file bytes never pass through
 * here: the extension page encrypts and uploads them itself (docs/client.md,
 * "Attachments").
 */
import { ErrorCode, fail } from '../../errors.ts';
import { ATTACHMENT_MAX_BYTES } from '../../wire/limits.ts';
import type { AttachmentCreatedResponse, UploadPurpose } from '../../wire/rest-attachments.ts';
import type { RelayApi } from '../relay/relay-api.ts';

export interface AttachmentUpload extends AttachmentCreatedResponse {
  /** The relay to upload to (the account's). */
  readonly relayUrl: string;
}

const RELAY_ID = /^[A-Za-z0-9_-]{22}$/;

export function createAttachmentApi(host: { requireApi(): RelayApi }) {
  /**
   * Errors: BAD_ARGUMENT for a size outside 1..ATTACHMENT_MAX_BYTES; the relay's own (413,
   * quota; for `transfer`, TRANSFER_NOT_ALLOWED unless a device was added within the hour).
   */
  async function createAttachmentUpload(
    size: number,
    purpose: UploadPurpose = 'attachment',
  ): Promise<AttachmentUpload> {
    if (!Number.isSafeInteger(size) || size < 1 || size > ATTACHMENT_MAX_BYTES) {
      fail(ErrorCode.BAD_ARGUMENT, `Attachment size must be 1..${ATTACHMENT_MAX_BYTES} bytes`);
    }
    const api = host.requireApi();
    const body = purpose === 'attachment' ? { size } : { size, purpose };
    const created = await api.call('attachmentCreate', { body });
    return { ...created, relayUrl: api.baseUrl };
  }

  /** Deletes one of our uploads (NOT_FOUND when it is gone or not ours). */
  async function deleteAttachment(id: string): Promise<void> {
    if (!RELAY_ID.test(id)) fail(ErrorCode.BAD_ARGUMENT, 'Not an attachment id');
    await host.requireApi().call('attachmentDelete', { params: { id } });
  }

  return { createAttachmentUpload, deleteAttachment };
}
