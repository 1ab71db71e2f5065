/**
 * Attachments: the device-signed half. The page encrypts and uploads the
 * file's bytes itself with the upload token `attachmentCreate` returns; the
 * worker only announces and deletes uploads, keeps the records of uploads in
 * progress (sealed, so a send resumes after a restart), and sends the
 * pointers inside the encrypted message (`sendText` with `attachments`).
 * docs/extension.md "Attachments".
 *
 * Runs in: the service worker and Node (tests).
 */
import * as v from 'valibot';
import type { AttachmentUpload } from '../../../../shared/client/conversations/attachment-api.ts';
import type { PendingUpload } from '../../../../shared/client/conversations/pending-uploads.ts';
import { ATTACHMENT_MAX_BYTES } from '../../../../shared/wire/limits.ts';
import { pendingUpload, relayId } from './fields.ts';
import { request } from './row.ts';

export const attachmentRequests = {
  /** Errors: the relay's (ATTACHMENT_TOO_LARGE above its limit, RATE_LIMITED for a quota). */
  attachmentCreate: request({
    input: v.strictObject({
      size: v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(ATTACHMENT_MAX_BYTES)),
    }),
    unlocked: true,
    run: async ({ client, shell }, { size }): Promise<AttachmentUpload> => {
      await shell.touch();
      return client.createAttachmentUpload(size);
    },
  }),

  /** One of our uploads goes (cancelled, or its message was deleted). */
  attachmentDelete: request({
    input: v.strictObject({ id: relayId }),
    unlocked: true,
    run: async ({ client }, { id }): Promise<null> => {
      await client.deleteAttachment(id);
      return null;
    },
  }),

  listPendingUploads: request({
    input: v.undefined(),
    unlocked: true,
    run: ({ client }): Promise<PendingUpload[]> => client.listPendingUploads(),
  }),

  savePendingUpload: request({
    input: pendingUpload,
    unlocked: true,
    run: async ({ client }, upload): Promise<null> => {
      await client.savePendingUpload(upload);
      return null;
    },
  }),

  deletePendingUpload: request({
    input: v.strictObject({ id: relayId }),
    unlocked: true,
    run: async ({ client }, { id }): Promise<null> => {
      await client.deletePendingUpload(id);
      return null;
    },
  }),
};
