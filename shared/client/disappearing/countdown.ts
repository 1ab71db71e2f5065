/**
 * Disappearing-message countdowns (pure apart from staging the index key).
 * Every device starts its own countdown: the sender's copies when sent, a
 * received copy when it is read here or on another of our devices. The index
 * `expiry/<time>/<author>/<message key>` makes the next expiry one key read;
 * expiry.ts deletes what is due.
 *
 * The functions take the message fields they use, not the message record
 * itself: messages.ts calls them, so importing its types back would make a
 * cycle.
 */
import { type Bytes, toBase64Url } from '../../bytes.ts';
import type { Batch } from '../store/batch.ts';
import { Keys } from '../store/storage-keys.ts';

/** A message's disappearing timer and, once started, when its countdown ends. */
export interface Countdown {
  readonly expiresIn?: number | undefined;
  readonly expiresAt?: number | undefined;
}

/** What names a message in the expiry index. */
export interface IndexedCountdown extends Countdown {
  readonly conv: string;
  readonly stamp: number;
  readonly id: Bytes;
  readonly author: string;
  readonly outgoing?: boolean;
  /** The files it carries: our own uploads are named in the index key. */
  readonly att?: readonly { readonly id: Bytes }[] | undefined;
}

/**
 * The relay ids (base64url) of the files our own message carried: only the
 * uploader may delete an upload, so received files name none.
 */
export function ownUploadIds(message: Pick<IndexedCountdown, 'outgoing' | 'att'>): string[] {
  if (message.outgoing !== true || message.att === undefined) return [];
  return message.att.map((a) => toBase64Url(a.id));
}

/** The expiry index key of a message whose countdown runs (undefined when none runs). */
export function expiryKeyOf(message: IndexedCountdown): string | undefined {
  if (message.expiresAt === undefined) return undefined;
  return Keys.expiry(
    message.expiresAt,
    message.author,
    Keys.message(message.conv, message.stamp, message.id),
    ownUploadIds(message),
  );
}

/** When a countdown started at `startedAt` for `expiresIn` ms ends. */
export function expiryTime(startedAt: number, expiresIn: number): number {
  return startedAt + expiresIn;
}

/** The message with its countdown started at `now`, if it has a timer and none runs yet. */
export function startCountdown<M extends Countdown>(message: M, now: number): M {
  if (message.expiresIn === undefined || message.expiresAt !== undefined) return message;
  return { ...message, expiresAt: expiryTime(now, message.expiresIn) };
}

/** Indexes a running countdown, in the batch that stores the message with `expiresAt`. */
export function stageExpiryIndex(batch: Batch, message: IndexedCountdown): void {
  const key = expiryKeyOf(message);
  if (key !== undefined) stageExpiryKey(batch, key);
}

/** Writes an expiry index entry under `key` (from expiryKeyOf). */
export function stageExpiryKey(batch: Batch, key: string): void {
  batch.set(key, new Uint8Array([1]));
}
