/**
 * The persisted outgoing queue. Every encrypted message (text, receipts,
 * session resets) is an entry `outbox/<stamp>/<id>` until the relay answers
 * `stored`, so nothing is lost when the socket drops, the relay restarts or
 * the MV3 worker is killed:
 *
 *   pending --encrypt (one write: ciphertexts + sessions)--> ready --send--> in flight
 *   in flight --stored--> (deleted; the message becomes `stored`)
 *   in flight --mismatch--> pending fix --re-address (one write)--> ready
 *   in flight --error RATE_LIMITED / INTERNAL--> ready after a delay
 *   in flight --other error, too many mismatches, identity change--> failed (deleted; message `failed`)
 *   in flight --socket closed--> ready (sent again on the next connection)
 *
 * A resend carries the same client message id and the same ciphertexts: the
 * relay stores an id once per sending device, and recipients dedupe by
 * (sender, device, id). "In flight" lives only in memory.
 */
import * as v from 'valibot';
import { toHex } from '../../bytes.ts';
import { ErrorCode, isRetryable } from '../../errors.ts';
import type { SendRecipient } from '../../wire/frames.ts';
import { backoffDelay } from '../relay/backoff.ts';
import type { Batch } from '../store/batch.ts';
import {
  BytesField,
  bytesOf,
  decodeRecord,
  encodeRecord,
  IntField,
} from '../store/record-codec.ts';
import { Keys } from '../store/storage-keys.ts';
import type { RecordStore } from '../store/store.ts';

export const OutboxKind = {
  /** A text message: its id is the message record's id. */
  MESSAGE: 'message',
  RECEIPT: 'receipt',
  RESET: 'reset',
  /**
   * A group text: one Sender Keys ciphertext as the frame's shared body for
   * every member device (its id is the message record's id). Devices that do
   * not hold our current sender key first get it in `pre`, a pairwise frame
   * sent (and stored) before the message itself.
   */
  GROUP_MESSAGE: 'group-message',
  /** A signed group state to (part of) the members: later entries wait until it is stored. */
  GROUP_UPDATE: 'group-update',
  /** A direct chat's disappearing-message timer. */
  TIMER: 'timer',
  /** Asks a member for its sender key again. */
  KEY_REQUEST: 'key-request',
  /** Asks a device to send again a message we could not decrypt (retry.ts). */
  RETRY: 'retry',
  /**
   * A message sent again over the pairwise sessions to the user whose device
   * asked for it (the relay wants every device of a user addressed; the
   * others drop it as a duplicate), with a new frame id; `msg` is the
   * message's id (its state moves to `resent` once the relay stored it).
   */
  RESEND: 'resend',
  /** A change made here, for our own other devices only (sync/own-sync.ts). */
  SYNC: 'sync',
} as const;
export type OutboxKind = (typeof OutboxKind)[keyof typeof OutboxKind];

/** Entries whose id is a message record's id (their answers move the message's state). */
export function isMessageKind(kind: OutboxKind): boolean {
  return kind === OutboxKind.MESSAGE || kind === OutboxKind.GROUP_MESSAGE;
}

/**
 * Entries after which nothing else is sent until the relay answered: a group
 * state must reach members before the messages that assume it.
 */
export function isBarrierKind(kind: OutboxKind): boolean {
  return kind === OutboxKind.GROUP_UPDATE;
}

/** Mismatch answers tolerated for one entry before it fails (each one fixes the device lists). */
export const MAX_MISMATCH_ROUNDS = 5;
/** Entries sent but not yet answered, at most. */
export const MAX_IN_FLIGHT = 32;

const FrameSchema = v.object({
  to: v.array(
    v.object({
      user: v.string(),
      /** A device without a body gets the frame's shared `body`. */
      devices: v.array(v.object({ device: IntField, body: v.optional(BytesField) })),
    }),
  ),
  /** Shared body (a Sender Keys group message). */
  body: v.optional(BytesField),
});

/** A pairwise frame sent (and stored) before the entry's own frame. */
const PreSchema = v.object({
  id: bytesOf(16),
  frame: FrameSchema,
});

const OutboxEntrySchema = v.object({
  v: v.literal(1),
  id: bytesOf(16),
  stamp: IntField,
  kind: v.picklist(Object.values(OutboxKind) as [OutboxKind, ...OutboxKind[]]),
  /** The conversation a message belongs to (for state updates and events). */
  conv: v.optional(v.string()),
  /** Encoded content (content.ts): kept to encrypt for devices that appear later. */
  content: BytesField,
  /** Users to address; our own user means "our other devices". */
  recipients: v.array(v.string()),
  /** Present once encrypted: exactly what goes into the send frame. */
  frame: v.optional(FrameSchema),
  /** Group entries: the group id. */
  group: v.optional(bytesOf(16)),
  /** Group messages: our sender key content for this message's position (for devices added later). */
  keyContent: v.optional(BytesField),
  /** Group messages: the sender key for devices that lack it, sent first. */
  pre: v.optional(PreSchema),
  mismatches: IntField,
  attempts: IntField,
  createdAt: IntField,
  notBefore: v.optional(IntField),
  expiresAt: v.optional(IntField),
  /** Resends: the message record this resends. */
  msg: v.optional(bytesOf(16)),
});

export type OutboxEntry = v.InferOutput<typeof OutboxEntrySchema>;
export type OutboxFrame = v.InferOutput<typeof FrameSchema>;
export type OutboxPre = v.InferOutput<typeof PreSchema>;

export function entryKey(entry: Pick<OutboxEntry, 'stamp' | 'id'>): string {
  return Keys.outboxEntry(entry.stamp, entry.id);
}

/** What the author of a new entry chooses; the rest starts the same for every entry. */
export type NewOutboxEntry = Omit<OutboxEntry, 'v' | 'mismatches' | 'attempts'>;

/** The one way an entry comes to be: record version 1, no answers heard yet. */
export function newOutboxEntry(fields: NewOutboxEntry): OutboxEntry {
  return { v: 1, ...fields, mismatches: 0, attempts: 0 };
}

export function stageEntry(batch: Batch, entry: OutboxEntry): void {
  batch.set(entryKey(entry), encodeRecord(entry));
}

export function decodeEntry(raw: Uint8Array): OutboxEntry {
  return decodeRecord(OutboxEntrySchema, raw, 'outbox entry');
}

export async function listEntries(records: RecordStore, limit?: number): Promise<OutboxEntry[]> {
  const rows = await records.list(Keys.outbox, limit === undefined ? {} : { limit });
  return rows.map(([, raw]) => decodeEntry(raw));
}

export async function readEntry(
  batch: Pick<Batch, 'get'>,
  key: string,
): Promise<OutboxEntry | undefined> {
  const raw = await batch.get(key);
  return raw === undefined ? undefined : decodeEntry(raw);
}

export function idKey(id: Uint8Array): string {
  return toHex(id);
}

/** The send frame's `to`, as the wire schema wants it. */
export function frameRecipients(frame: OutboxFrame): SendRecipient[] {
  return frame.to.map((r) => ({
    user: r.user,
    devices: r.devices.map((d) =>
      d.body === undefined ? { device: d.device } : { device: d.device, body: d.body },
    ),
  }));
}

// ---------------------------------------------------------------------------
// What to do when the relay answers (pure).

export type OutboxAnswer =
  | { readonly type: 'stored' }
  | { readonly type: 'mismatch' }
  | { readonly type: 'error'; readonly code: string; readonly retryAfterMs?: number | undefined };

export type OutboxDecision =
  /** Delete the entry; a message becomes `stored`. */
  | { readonly action: 'done' }
  /** Re-address with the relay's device lists, then send again. */
  | { readonly action: 'fix' }
  /** Send again, not before `notBefore`. */
  | { readonly action: 'retry'; readonly notBefore: number }
  /** Give up: delete the entry; a message becomes `failed` with `code`. */
  | { readonly action: 'fail'; readonly code: string };

export function decideOutboxAnswer(
  entry: Pick<OutboxEntry, 'mismatches' | 'attempts'>,
  answer: OutboxAnswer,
  now: number,
  jitter: number,
): OutboxDecision {
  switch (answer.type) {
    case 'stored':
      return { action: 'done' };
    case 'mismatch':
      return entry.mismatches + 1 >= MAX_MISMATCH_ROUNDS
        ? { action: 'fail', code: ErrorCode.DEVICE_MISMATCH }
        : { action: 'fix' };
    case 'error': {
      // Relay errors that say "try again later" rather than "this frame is wrong", and
      // SEND_NOT_ALLOWED: the socket's unlock proof had not reached the relay yet, so the
      // entry is sent again once it has.
      if (!isRetryable(answer.code) && answer.code !== ErrorCode.SEND_NOT_ALLOWED)
        return { action: 'fail', code: answer.code };
      const wait = Math.max(backoffDelay(entry.attempts + 1, jitter), answer.retryAfterMs ?? 0);
      return { action: 'retry', notBefore: now + wait };
    }
  }
}
