/**
 * TEMPORARY ADAPTER (delete at the merge with the attachment format and relay
 * work): the one file that stands in for what `shared/attachments/` and the
 * relay's attachment routes provide under the attachments contract. Everything
 * else in the extension and the client core is written against the contract's
 * names and shapes and imports them from here; at the merge, imports move to
 * `shared/attachments/` and the two relay calls below become plain
 * `api.call('attachmentCreate', { body: { size } })` and
 * `api.call('attachmentDelete', { params: { id } })`.
 *
 * Runs in: extension pages, the service worker, Node and Deno (tests).
 */

import type { FetchLike } from './client/deps.ts';
import type { RelayApi } from './client/relay/relay-api.ts';
import type { AttachmentPointer } from './client/sessions/content.ts';
import { ErrorCode, ParleyError } from './errors.ts';

/** `POST /v1/attachments` answered: what the page needs to upload (bearer `uploadToken`). */
export interface AttachmentCreated {
  /** 16 random bytes, base64url: the download capability. */
  readonly id: string;
  readonly chunkBytes: number;
  readonly chunks?: number;
  readonly expiresAt: number;
  /** 32 random bytes, base64url: authorises chunk PUT, status and complete for this upload only. */
  readonly uploadToken: string;
}

type LooseCall = (name: string, input: object) => Promise<unknown>;

/** Device-signed create (the contract's body: the ciphertext size only). */
export async function createUploadOnRelay(api: RelayApi, size: number): Promise<AttachmentCreated> {
  const call = api.call.bind(api) as unknown as LooseCall;
  return (await call('attachmentCreate', { body: { size } })) as AttachmentCreated;
}

/** Device-signed delete; the relay answers 404 for someone else's upload. */
export async function deleteOnRelay(api: RelayApi, id: string): Promise<void> {
  const call = api.call.bind(api) as unknown as LooseCall;
  await call('attachmentDelete', { params: { id } });
}

export interface EncryptedFile {
  readonly key: Uint8Array;
  /** Padded ciphertext bytes: what `create` declares. */
  readonly size: number;
}

export interface UploadInput {
  readonly relayUrl: string;
  readonly created: AttachmentCreated;
  readonly source: Blob;
  /** Resuming: the key the first attempt used (the same chunks come out again). */
  readonly key?: Uint8Array;
  readonly onProgress?: (sent: number, total: number) => void;
  readonly signal?: AbortSignal;
  readonly fetch?: FetchLike;
}

export interface DownloadInput {
  readonly relayUrl: string;
  readonly pointer: AttachmentPointer;
  readonly onProgress?: (received: number, total: number) => void;
  readonly signal?: AbortSignal;
  readonly fetch?: FetchLike;
}

function notMerged(): ParleyError {
  return new ParleyError(
    ErrorCode.ATTACHMENT_INVALID,
    'Attachments need the attachment format and relay routes (not in this build)',
  );
}

/** Key and padded ciphertext size for a file of `size` bytes. */
export function encryptFile(_source: Blob, _size: number): Promise<EncryptedFile> {
  return Promise.reject(notMerged());
}

export function uploadAttachment(_input: UploadInput): Promise<{ digest: Uint8Array }> {
  return Promise.reject(notMerged());
}

export function downloadAttachment(_input: DownloadInput): Promise<ReadableStream<Uint8Array>> {
  return Promise.reject(notMerged());
}

/** Error codes the contract adds (shared/errors.ts gains them with the format work). */
export const AttachmentErrorCode = {
  INVALID: 'ATTACHMENT_INVALID',
  EXPIRED: 'ATTACHMENT_EXPIRED',
  TOO_LARGE: 'ATTACHMENT_TOO_LARGE',
  TAMPERED: 'ATTACHMENT_TAMPERED',
} as const;
