/**
 * The relay side of attachments that needs this device's signature: announce
 * an upload (the relay answers with an upload token the page uses for the
 * chunks) and delete one of our uploads. The file bytes never pass through
 * here: the extension page encrypts and uploads them itself (docs/client.md,
 * "Attachments").
 */
import { ErrorCode, fail, isParleyError } from '../../errors.ts';
import { ATTACHMENT_MAX_BYTES } from '../../wire/limits.ts';
import type { AttachmentCreatedResponse, UploadPurpose } from '../../wire/rest-attachments.ts';
import type { RelayApi } from '../relay/relay-api.ts';

export interface AttachmentUpload extends AttachmentCreatedResponse {
  /** The relay to upload to (the account's). */
  readonly relayUrl: string;
}

const RELAY_ID = /^[A-Za-z0-9_-]{22}$/;

export interface AttachmentApiHost {
  requireApi(): RelayApi;
  /** The relay API signing as this device, also while locked (account-api.ts `deviceApi`). */
  deviceApi(): Promise<RelayApi>;
}

export function createAttachmentApi(host: AttachmentApiHost) {
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

  /** Deletes one of our uploads, locked or not; NOT_FOUND (gone already, or not ours) is success. */
  async function deleteOwnUpload(id: string): Promise<void> {
    if (!RELAY_ID.test(id)) fail(ErrorCode.BAD_ARGUMENT, 'Not an attachment id');
    try {
      await (await host.deviceApi()).call('attachmentDelete', { params: { id } });
    } catch (e) {
      if (!isParleyError(e) || e.code !== ErrorCode.NOT_FOUND) throw e;
    }
  }

  return { createAttachmentUpload, deleteAttachment, deleteOwnUpload };
}
