/**
 * Disappearing-message countdowns (pure apart from staging the index key).
 * Every device starts its own countdown: the sender's copies when sent, a
 * received copy when it is read here or on another of our devices. The index
 * `expiry/<time>/<author>/<message key>` makes the next expiry one key read;
 * expiry.ts deletes what is due.
 */

import type { MessageRecord } from '../conversations/messages.ts';
import type { Batch } from '../store/batch.ts';
import { Keys } from '../store/storage-keys.ts';

/** When a countdown started at `startedAt` for `expiresIn` ms ends. */
export function expiryTime(startedAt: number, expiresIn: number): number {
  return startedAt + expiresIn;
}

/** The message with its countdown started at `now`, if it has a timer and none runs yet. */
export function startCountdown(message: MessageRecord, now: number): MessageRecord {
  if (message.expiresIn === undefined || message.expiresAt !== undefined) return message;
  return { ...message, expiresAt: expiryTime(now, message.expiresIn) };
}

/** Indexes a running countdown, in the batch that stores the message with `expiresAt`. */
export function stageExpiryIndex(batch: Batch, message: MessageRecord): void {
  if (message.expiresAt === undefined) return;
  batch.set(
    Keys.expiry(
      message.expiresAt,
      message.author,
      Keys.message(message.conv, message.stamp, message.id),
    ),
    new Uint8Array([1]),
  );
}
