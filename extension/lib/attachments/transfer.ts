/**
 * Moving files, in the page (never the worker: docs/extension.md
 * "Attachments"). Sending: the page encrypts the file streaming, asks the
 * worker to announce the upload (device-signed), keeps a sealed record of it
 * so a send survives a restart, uploads the chunks with the upload token,
 * then asks the worker to send the pointer in the message. Receiving: the
 * page downloads and decrypts streaming, checking the digest and every
 * segment. Decrypted files live only in memory (blob URLs), never on disk,
 * so a disappearing or deleted message leaves no local copy behind.
 *
 * The preview (e2e/preview) swaps this module for a stand-in.
 *
 * Runs in: extension pages.
 */

import { type DownloadPointer, downloadAttachment } from '../../../shared/attachments/download.ts';
import { newAttachmentKey } from '../../../shared/attachments/encrypt-file.ts';
import { attachmentBlobSize } from '../../../shared/attachments/format.ts';
import type { TransferDeps } from '../../../shared/attachments/retry.ts';
import { type TransferProgress, uploadAttachment } from '../../../shared/attachments/upload.ts';
import { fromBase64Url, toBase64Url } from '../../../shared/bytes.ts';
import { systemRandom } from '../../../shared/crypto/random.ts';
import type { AttachmentView } from '../protocol.ts';
import { call } from '../rpc-client.ts';

export interface Progress {
  readonly done: number;
  readonly total: number;
}

/** What the composer hands over for one file. */
export interface OutgoingFile {
  readonly file: Blob & { readonly name: string; readonly lastModified?: number };
  readonly caption: string;
  readonly width?: number;
  readonly height?: number;
  readonly durationMs?: number;
  readonly voice?: boolean;
  /** A tiny preview of an image (thumbnail.ts), at most ATTACHMENT_THUMB_MAX_BYTES. */
  readonly thumb?: Uint8Array;
}

export interface SendFileInput {
  readonly conversationId: string;
  readonly item: OutgoingFile;
  readonly onProgress: (p: Progress) => void;
  readonly signal: AbortSignal;
}

export interface DownloadInput {
  readonly attachment: AttachmentView;
  readonly onProgress: (p: Progress) => void;
  readonly signal: AbortSignal;
}

/** The page's own network, clock and randomness for the chunk transfers. */
function transferDeps(): TransferDeps {
  return {
    fetch: globalThis.fetch.bind(globalThis),
    timers: {
      setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
      clearTimeout: (timer) => globalThis.clearTimeout(timer as ReturnType<typeof setTimeout>),
    },
    random: systemRandom,
  };
}

function progressTo(onProgress: (p: Progress) => void): (p: TransferProgress) => void {
  return ({ doneBytes, totalBytes }) => onProgress({ done: doneBytes, total: totalBytes });
}

function randomId(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(16)));
}

async function relayUrl(): Promise<string> {
  const status = await call('getStatus');
  if (status.account === null) throw new Error('No account');
  return status.account.relayUrl;
}

/** Encrypts, uploads and sends one file with its caption; resolves once the message is queued. */
export async function sendFile(input: SendFileInput): Promise<void> {
  const { item, signal } = input;
  const file = item.file;
  const mime = file.type === '' ? 'application/octet-stream' : file.type;
  const key = newAttachmentKey(systemRandom);
  const created = await call('attachmentCreate', { size: attachmentBlobSize(file.size) });
  const pendingId = randomId();
  await call('savePendingUpload', {
    id: pendingId,
    conversationId: input.conversationId,
    name: file.name.slice(0, 255),
    mime: mime.slice(0, 255),
    size: file.size,
    lastModified: file.lastModified ?? 0,
    key: toBase64Url(key),
    relayId: created.id,
    uploadToken: created.uploadToken,
    caption: item.caption,
    createdAt: Date.now(),
  });
  try {
    const { digest } = await uploadAttachment({
      relayUrl: created.relayUrl,
      created,
      source: file,
      key,
      deps: transferDeps(),
      signal,
      onProgress: progressTo(input.onProgress),
    });
    await call('sendText', {
      conversationId: input.conversationId,
      text: item.caption,
      attachments: [
        {
          id: created.id,
          key: toBase64Url(key),
          digest: toBase64Url(digest),
          size: file.size,
          mime: mime.slice(0, 255),
          name: file.name.slice(0, 255),
          ...(item.width === undefined ? {} : { width: item.width }),
          ...(item.height === undefined ? {} : { height: item.height }),
          ...(item.durationMs === undefined ? {} : { durationMs: Math.round(item.durationMs) }),
          ...(item.voice === true ? { voice: true } : {}),
          ...(item.thumb === undefined ? {} : { thumb: toBase64Url(item.thumb) }),
        },
      ],
    });
    await call('deletePendingUpload', { id: pendingId });
  } catch (e) {
    if (signal.aborted) {
      // Cancelled: nothing waits for this upload any more, here or on the relay.
      await call('deletePendingUpload', { id: pendingId }).catch(() => undefined);
      await call('attachmentDelete', { id: created.id }).catch(() => undefined);
    }
    throw e;
  }
}

function pointerOf(a: AttachmentView): DownloadPointer {
  return {
    id: fromBase64Url(a.id),
    key: fromBase64Url(a.key),
    digest: fromBase64Url(a.digest),
    size: a.size,
  };
}

/** Downloads and decrypts a file into memory (a Blob of its type). */
export async function downloadFile(input: DownloadInput): Promise<Blob> {
  const stream = downloadAttachment({
    relayUrl: await relayUrl(),
    pointer: pointerOf(input.attachment),
    deps: transferDeps(),
    signal: input.signal,
    onProgress: progressTo(input.onProgress),
  });
  const bytes = await new Response(stream).blob();
  return new Blob([bytes], { type: input.attachment.mime });
}
