/**
 * Moving the history archive between the two devices of a link
 * (docs/protocol.md, "History transfer"). The archive is opaque here: it
 * arrives encrypted under a fresh root key from the archive format
 * (shared/archive), goes up as a relay transfer blob (docs/relay.md,
 * "Transfer blobs") and comes down on the new device, which checks its
 * SHA-256 and length against the sealed offer before a single byte reaches
 * the importer, imports it, and only then ACKs (deletes) the blob.
 *
 * The blob is held in memory on both sides (text history, capped by the
 * relay's upload limit): its size must be declared before the upload, and
 * nothing may be imported before the whole blob verified. Chunk requests
 * reuse the attachment transfer helpers (relay-http, withRetry).
 */

import { createSha256Stream } from '../../attachments/digest.ts';
import {
  type AttachmentEndpoint,
  completeUpload,
  type FetchLike,
  getChunk,
  putChunk,
  uploadStatus,
} from '../../attachments/relay-http.ts';
import { type RetryOptions, withRetry } from '../../attachments/retry.ts';
import { type Bytes, concat, equalBytes } from '../../bytes.ts';
import type { Random } from '../../crypto/random.ts';
import { ErrorCode, isParleyError, ParleyError } from '../../errors.ts';
import type { Timers } from '../deps.ts';
import { HISTORY_ROOT_KEY_BYTES, type HistoryArchiveOffer } from './history-offer.ts';

/** A transfer-purpose upload on the account's relay (attachmentCreate, purpose 'transfer'). */
export interface TransferUpload {
  readonly relayUrl: string;
  readonly id: string;
  readonly uploadToken: string;
  readonly chunkBytes: number;
}

/** The existing device's side, bound by the host to its client. */
export interface HistorySender {
  /**
   * The account sealed under `root` (client.archive.export, kind 'transfer'):
   * contacts, groups, conversations and settings, with the messages unless
   * the user chose "no history" (`messages` false).
   */
  exportArchive(root: Uint8Array, messages: boolean): AsyncIterable<Uint8Array>;
  /** Creates the transfer blob (device-signed: createAttachmentUpload(size, 'transfer')). */
  createUpload(size: number): Promise<TransferUpload>;
  readonly fetch: FetchLike;
}

export interface ImportResult {
  /** Records the archive added (messages, contacts, groups, ...), as the importer counts them. */
  readonly records: number;
  /** Records this device already held (a message that also came through the queue). */
  readonly skipped?: number;
}

/** The new device's side, bound by the host to its (registered, not yet started) client. */
export interface HistoryReceiver {
  /** Imports the verified archive (client.archive.import); all or nothing. */
  importArchive(source: AsyncIterable<Uint8Array>, root: Uint8Array): Promise<ImportResult>;
  /** The ACK: deletes the transfer blob (client.deleteAttachment). */
  acknowledge(id: string): Promise<void>;
  readonly fetch: FetchLike;
  /**
   * Keeps the offer until the ACK, so a device stopped mid-download can call
   * receiveHistory again (within the blob's hour); `undefined` clears it.
   */
  remember?(offer: HistoryArchiveOffer | undefined): Promise<void>;
}

export interface TransferProgress {
  readonly doneBytes: number;
  readonly totalBytes: number;
}

export interface TransferDeps {
  readonly random: Random;
  readonly timers: Timers;
  readonly retry?: RetryOptions;
}

/** The archive format's code (shared/archive): a blob the relay altered is a damaged archive. */
function damaged(message: string): ParleyError {
  return new ParleyError(ErrorCode.ARCHIVE_DAMAGED, message);
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Bytes> {
  const parts: Uint8Array[] = [];
  for await (const part of source) parts.push(part);
  return concat(...parts);
}

async function digestOf(bytes: Uint8Array): Promise<Bytes> {
  const hash = await createSha256Stream();
  hash.update(bytes);
  return hash.digest();
}

/** E: exports under a fresh root key, uploads the blob, and returns the offer to seal for N. */
export async function sendHistory(
  sender: HistorySender,
  messages: boolean,
  deps: TransferDeps,
  onProgress?: (progress: TransferProgress) => void,
): Promise<HistoryArchiveOffer> {
  const root = deps.random(HISTORY_ROOT_KEY_BYTES);
  const blob = await collect(sender.exportArchive(root, messages));
  if (blob.length === 0) throw new ParleyError(ErrorCode.BAD_ARGUMENT, 'The archive is empty');
  const digest = await digestOf(blob);
  const upload = await sender.createUpload(blob.length);
  const endpoint: AttachmentEndpoint = {
    relayUrl: upload.relayUrl,
    id: upload.id,
    fetch: sender.fetch,
  };
  const transfer = { fetch: sender.fetch, timers: deps.timers, random: deps.random };
  const token = upload.uploadToken;
  const received = new Set(
    await withRetry(() => uploadStatus(endpoint, token), transfer, deps.retry),
  );
  for (let index = 0, at = 0; at < blob.length; index++, at += upload.chunkBytes) {
    const chunk = blob.subarray(at, Math.min(blob.length, at + upload.chunkBytes));
    if (!received.has(index))
      await withRetry(() => putChunk(endpoint, token, index, chunk), transfer, deps.retry);
    onProgress?.({ doneBytes: at + chunk.length, totalBytes: blob.length });
  }
  await withRetry(() => completeUpload(endpoint, token), transfer, deps.retry);
  return { id: upload.id, root, digest, size: blob.length };
}

/** N: the whole blob, checked against the offer's length and SHA-256. */
async function downloadVerified(
  receiver: HistoryReceiver,
  relayUrl: string,
  offer: HistoryArchiveOffer,
  deps: TransferDeps,
  onProgress?: (progress: TransferProgress) => void,
): Promise<Bytes> {
  const endpoint: AttachmentEndpoint = { relayUrl, id: offer.id, fetch: receiver.fetch };
  const transfer = { fetch: receiver.fetch, timers: deps.timers, random: deps.random };
  const parts: Uint8Array[] = [];
  let doneBytes = 0;
  for (let index = 0; doneBytes < offer.size; index++) {
    const chunk = await withRetry(() => getChunk(endpoint, index), transfer, deps.retry);
    if (chunk.length === 0) throw damaged('History blob chunk is empty');
    doneBytes += chunk.length;
    if (doneBytes > offer.size) throw damaged('History blob is longer than offered');
    parts.push(chunk);
    onProgress?.({ doneBytes, totalBytes: offer.size });
  }
  const blob = concat(...parts);
  if (!equalBytes(await digestOf(blob), offer.digest))
    throw damaged('History blob digest mismatch');
  return blob;
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/**
 * N: download, verify, import, ACK. Safe to call again after an interruption
 * (the offer kept by `remember`): the download starts over; the blob stays on
 * the relay until the ACK or its hour ends (ATTACHMENT_EXPIRED after that).
 */
export async function receiveHistory(
  receiver: HistoryReceiver,
  relayUrl: string,
  offer: HistoryArchiveOffer,
  deps: TransferDeps,
  onProgress?: (progress: TransferProgress) => void,
): Promise<ImportResult> {
  await receiver.remember?.(offer);
  let blob: Bytes;
  try {
    blob = await downloadVerified(receiver, relayUrl, offer, deps, onProgress);
  } catch (error) {
    // Gone or altered: trying again cannot help, so the offer is not kept.
    if (
      isParleyError(error, ErrorCode.ARCHIVE_DAMAGED) ||
      isParleyError(error, ErrorCode.ATTACHMENT_EXPIRED)
    )
      await receiver.remember?.(undefined);
    throw error;
  }
  const result = await receiver.importArchive(once(blob), offer.root);
  await receiver.acknowledge(offer.id);
  await receiver.remember?.(undefined);
  return result;
}
