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
import {
  ATTACHMENT_FORMAT_VERSION,
  attachmentBlobSize,
} from '../../../shared/attachments/format.ts';
import type { TransferDeps } from '../../../shared/attachments/retry.ts';
import { type TransferProgress, uploadAttachment } from '../../../shared/attachments/upload.ts';
import { fromBase64Url, toBase64Url } from '../../../shared/bytes.ts';
import type { PendingUpload } from '../../../shared/client/conversations/pending-uploads.ts';
import { systemRandom } from '../../../shared/crypto/random.ts';
import { ATTACHMENT_CHUNK_BYTES } from '../../../shared/wire/limits.ts';
import type { RequestOf } from '../messaging.ts';
import type { AttachmentView } from '../protocol.ts';
import { call } from '../rpc-client.ts';
import { isStillPending } from './pending-check.ts';
import { fileHead } from './resume.ts';
import { pageLocks, UploadGoneError, whileClaimed } from './upload-claim.ts';

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
  /** The pending-upload record's id, once stored (the tray does not offer it as paused). */
  readonly onPending?: (id: string) => void;
}

/** A paused upload (its record) continued with the file picked again. */
export interface ResumeFileInput {
  readonly upload: PendingUpload;
  readonly file: Blob;
  readonly media: Pick<OutgoingFile, 'width' | 'height' | 'thumb'>;
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

/** One file of a `sendText` request, as the worker takes it (bytes as base64url). */
type AttachmentInput = NonNullable<RequestOf<'sendText'>['attachments']>[number];

/** The pointer fields a message carries besides id, key and digest. */
type PointerMeta = Omit<AttachmentInput, 'id' | 'key' | 'digest' | 'digestScheme'>;

function metaOf(
  file: { readonly size: number; readonly type: string; readonly name: string },
  item: Omit<OutgoingFile, 'file' | 'caption'>,
): PointerMeta {
  return {
    size: file.size,
    mime: mimeOf(file),
    name: file.name.slice(0, 255),
    ...(item.width === undefined ? {} : { width: item.width }),
    ...(item.height === undefined ? {} : { height: item.height }),
    ...(item.durationMs === undefined ? {} : { durationMs: Math.round(item.durationMs) }),
    ...(item.voice === true ? { voice: true } : {}),
    ...(item.thumb === undefined ? {} : { thumb: toBase64Url(item.thumb) }),
  };
}

function mimeOf(file: { readonly type: string }): string {
  return (file.type === '' ? 'application/octet-stream' : file.type).slice(0, 255);
}

/**
 * Uploads (or continues) the chunks, sends the message, forgets the record;
 * only while this page holds the record's claim (upload-claim.ts), so a
 * popup and a side panel never both send it.
 */
function uploadAndSend(job: UploadJob): Promise<void> {
  return whileClaimed(pageLocks(), job.upload.id, async () => {
    // A paused upload was listed when the page opened the conversation; another page
    // may have sent it since (the relay would accept it again: a second message).
    if (job.resumed && !(await isStillPending(job.upload.id))) throw new UploadGoneError();
    await uploadClaimed(job);
  });
}

interface UploadJob {
  readonly upload: PendingUpload & { relayId: string; uploadToken: string };
  readonly relayUrl: string;
  readonly file: Blob;
  readonly meta: PointerMeta;
  readonly onProgress: (p: Progress) => void;
  readonly signal: AbortSignal;
  /** A paused upload continued (not one this page just stored). */
  readonly resumed: boolean;
}

async function uploadClaimed(job: UploadJob): Promise<void> {
  const { upload, signal } = job;
  try {
    const key = fromBase64Url(upload.key);
    const { digest, digestScheme } = await uploadAttachment({
      relayUrl: job.relayUrl,
      created: {
        id: upload.relayId,
        uploadToken: upload.uploadToken,
        chunkBytes: upload.chunkBytes ?? ATTACHMENT_CHUNK_BYTES,
      },
      source: job.file,
      key,
      // Records from before PRLA v2 have none: they were begun in v1.
      formatVersion: upload.formatVersion ?? 1,
      deps: transferDeps(),
      signal,
      onProgress: progressTo(job.onProgress),
    });
    await call('sendText', {
      conversationId: upload.conversationId,
      text: upload.caption,
      attachments: [
        {
          id: upload.relayId,
          key: upload.key,
          digest: toBase64Url(digest),
          digestScheme,
          ...job.meta,
        },
      ],
    });
    await call('deletePendingUpload', { id: upload.id });
  } catch (e) {
    if (signal.aborted) {
      // Cancelled: nothing waits for this upload any more, here or on the relay.
      await call('deletePendingUpload', { id: upload.id }).catch(() => undefined);
      await call('attachmentDelete', { id: upload.relayId }).catch(() => undefined);
    }
    throw e;
  }
}

/** Encrypts, uploads and sends one file with its caption; resolves once the message is queued. */
export async function sendFile(input: SendFileInput): Promise<void> {
  const { item } = input;
  const file = item.file;
  const key = newAttachmentKey(systemRandom);
  const formatVersion = ATTACHMENT_FORMAT_VERSION;
  const created = await call('attachmentCreate', {
    size: attachmentBlobSize(file.size, formatVersion),
  });
  const upload = {
    id: randomId(),
    conversationId: input.conversationId,
    name: file.name.slice(0, 255),
    mime: mimeOf(file),
    size: file.size,
    lastModified: file.lastModified ?? 0,
    key: toBase64Url(key),
    relayId: created.id,
    uploadToken: created.uploadToken,
    chunkBytes: created.chunkBytes,
    head: await fileHead(file),
    formatVersion,
    caption: item.caption,
    createdAt: Date.now(),
  };
  await call('savePendingUpload', upload);
  input.onPending?.(upload.id);
  await uploadAndSend({
    upload,
    relayUrl: created.relayUrl,
    file,
    meta: metaOf(file, item),
    onProgress: input.onProgress,
    signal: input.signal,
    resumed: false,
  });
}

/**
 * Continues a paused upload with its file picked again (resume.ts checked it
 * is the same): only the chunks the relay lacks are sent, then the message.
 */
export async function resumeFile(input: ResumeFileInput): Promise<void> {
  const { upload } = input;
  if (upload.relayId === undefined || upload.uploadToken === undefined) {
    throw new Error('This upload never reached the relay: discard it and attach the file again.');
  }
  const named = { size: upload.size, type: upload.mime, name: upload.name };
  await uploadAndSend({
    upload: { ...upload, relayId: upload.relayId, uploadToken: upload.uploadToken },
    relayUrl: await relayUrl(),
    file: input.file,
    meta: metaOf(named, input.media),
    onProgress: input.onProgress,
    signal: input.signal,
    resumed: true,
  });
}

function pointerOf(a: AttachmentView): DownloadPointer {
  return {
    id: fromBase64Url(a.id),
    key: fromBase64Url(a.key),
    digest: fromBase64Url(a.digest),
    digestScheme: a.digestScheme,
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
