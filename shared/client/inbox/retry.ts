/**
 * Retry receipts, as Signal's DecryptionErrorMessage: a frame that does not
 * decrypt costs no message.
 *
 *   recipient  a delivery that fails to decrypt changes no session; if the
 *              genuine frame with that id has not been read, the recipient
 *              asks the sending device for it again (`retry` content over the
 *              pairwise session, naming the frame id, the relay's timestamp,
 *              the ratchet key the frame claimed, the group for a group
 *              message). At most RETRY_REQUESTS_PER_WINDOW per sending device
 *              per window; past that the recipient gives up and says so in the
 *              timeline.
 *   sender     keeps what it sent recently (`sent/<frame id>`: the content,
 *              who it went to; SENT_RETENTION_MS / SENT_MAX, never past a
 *              disappearing message's expiry, in the same sealed store as
 *              messages). A retry from a device that was addressed moves the
 *              message to `failed` and queues a `resend`: the same content
 *              (same message id, so the recipient shows it once) with a new
 *              frame id, over the pairwise sessions (group messages too). Once
 *              the relay stored it the message is `resent`; the delivery
 *              receipt makes it `delivered`. At most MAX_RESENDS per message
 *              and RESENDS_PER_WINDOW per requesting device; past that the
 *              message stays `failed`.
 *
 * "The right session": when the recipient had no usable session it started a
 * new one to send the retry (a prekey message), which makes that session the
 * active one here; the resend then goes over it. Otherwise the resend rides
 * the current session: a single failed ciphertext never resets a session.
 */
import * as v from 'valibot';
import type { Bytes } from '../../bytes.ts';
import { decodeMessage } from '../../crypto/message-format.ts';
import { ErrorCode } from '../../errors.ts';
import type { DeliverFrame } from '../../wire/frames.ts';
import { MessageState } from '../conversations/conversations.ts';
import { advanceMessage } from '../conversations/messages.ts';
import type { InboxEffect } from '../effects.ts';
import { isMember, readGroup } from '../groups/store.ts';
import { newOutboxEntry, type OutboxEntry, OutboxKind, stageEntry } from '../outbox/outbox.ts';
import {
  decodeContent,
  encodeContent,
  type RetryContent,
  type RetryReason,
} from '../sessions/content.ts';
import type { SessionContext } from '../sessions/sessions.ts';
import type { Batch } from '../store/batch.ts';
import {
  BytesField,
  bytesOf,
  decodeRecord,
  encodeRecord,
  IntField,
} from '../store/record-codec.ts';
import type { StampClock } from '../store/stamps.ts';
import { Keys } from '../store/storage-keys.ts';

/** Rate-limit window for retry requests and resends, per device. */
export const RETRY_WINDOW_MS = 60 * 60 * 1000;
/** Retry requests we send to one device per window (a burst of in-flight messages fits). */
export const RETRY_REQUESTS_PER_WINDOW = 100;
/** Resends we make for one requesting device per window. */
export const RESENDS_PER_WINDOW = 100;
/** Times one message is sent again at most. */
export const MAX_RESENDS = 3;
/** Sent contents are kept this long for resends. */
export const SENT_RETENTION_MS = 24 * 60 * 60 * 1000;
/** At most this many sent contents are kept (the oldest go first). */
export const SENT_MAX = 1000;

export interface RetryContext {
  readonly sessions: SessionContext;
  readonly stamps: StampClock;
}

const WindowSchema = v.object({
  start: IntField,
  n: IntField,
  /** The refusal was reported (once per window). */
  told: v.optional(v.boolean()),
});

const SentSchema = v.object({
  v: v.literal(1),
  /** The message record's id (the content's id). */
  msg: bytesOf(16),
  conv: v.string(),
  /** Encoded content, resent as is over the pairwise sessions. */
  content: BytesField,
  group: v.optional(bytesOf(16)),
  /** The devices the frame was addressed to. */
  to: v.array(v.object({ user: v.string(), devices: v.array(IntField) })),
  at: IntField,
  /** A disappearing message: forgotten when the relay would drop it. */
  until: v.optional(IntField),
  /** How many times it was sent again before this frame. */
  tries: IntField,
});
type SentRecord = v.InferOutput<typeof SentSchema>;

function readSent(raw: Uint8Array): SentRecord | undefined {
  try {
    return decodeRecord(SentSchema, raw, 'sent message');
  } catch {
    return undefined;
  }
}

export type Allowance = 'ok' | 'refused' | 'refused-first';

/** One more event in `key`'s window, if the window has room; reports the first refusal apart. */
async function take(batch: Batch, key: string, now: number, max: number): Promise<Allowance> {
  const raw = await batch.get(key);
  let window: v.InferOutput<typeof WindowSchema> | undefined;
  try {
    window = raw === undefined ? undefined : decodeRecord(WindowSchema, raw, 'retry window');
  } catch {
    window = undefined; // unreadable: start a new window rather than block the inbox
  }
  if (window === undefined || now - window.start >= RETRY_WINDOW_MS) window = { start: now, n: 0 };
  if (window.n < max) {
    batch.set(key, encodeRecord({ ...window, n: window.n + 1 }));
    return 'ok';
  }
  if (window.told === true) return 'refused';
  batch.set(key, encodeRecord({ ...window, told: true }));
  return 'refused-first';
}

/** The ratchet key a pairwise ciphertext names (unauthenticated; for the sender's diagnosis). */
function ratchetKeyOf(body: Uint8Array): Bytes | undefined {
  try {
    return decodeMessage(body).header.dh;
  } catch {
    return undefined;
  }
}

/**
 * Asks the device that sent `frame` to send it again. Returns 'ok' when the
 * request is queued, a refusal when the window's budget is spent.
 */
export async function requestRetry(
  ctx: RetryContext,
  batch: Batch,
  frame: DeliverFrame,
  why: RetryReason,
  group?: Uint8Array,
): Promise<Allowance> {
  const { from, fromDevice } = frame;
  const now = ctx.sessions.deps.now();
  const allowed = await take(
    batch,
    Keys.retryOut(from, fromDevice),
    now,
    RETRY_REQUESTS_PER_WINDOW,
  );
  if (allowed !== 'ok') return allowed;
  const rk = group === undefined ? ratchetKeyOf(frame.body) : undefined;
  const content: RetryContent = {
    v: 1,
    t: 'retry',
    u: from,
    d: fromDevice,
    id: frame.id,
    at: frame.sentAt,
    why,
    ...(rk === undefined || rk.length !== 32 ? {} : { rk }),
    ...(group === undefined ? {} : { g: group as Bytes }),
  };
  stageEntry(
    batch,
    newOutboxEntry({
      id: ctx.sessions.deps.random(16) as OutboxEntry['id'],
      stamp: await ctx.stamps.next(batch),
      kind: OutboxKind.RETRY,
      content: encodeContent(content),
      recipients: [from],
      createdAt: now,
    }),
  );
  return 'ok';
}

/**
 * The content as it was encrypted: a group text got its sequence number when
 * encrypted, and the sender key sent with it (`keyContent`) names that number.
 */
function resendableContent(entry: OutboxEntry): Bytes | undefined {
  if (entry.kind !== OutboxKind.GROUP_MESSAGE) return entry.content;
  if (entry.keyContent === undefined) return undefined;
  try {
    const key = decodeContent(entry.keyContent);
    const text = decodeContent(entry.content);
    if (key.t !== 'sender-key' || text.t !== 'text') return undefined;
    return encodeContent({ ...text, seq: key.seq });
  } catch {
    return undefined;
  }
}

/** A disappearing message's copy is kept no longer than the message could live. */
function disappearsAt(content: Uint8Array, now: number): number | undefined {
  try {
    const decoded = decodeContent(content);
    return decoded.t === 'text' && decoded.exp !== undefined ? now + decoded.exp : undefined;
  } catch {
    return undefined;
  }
}

/** Remembers a message the relay stored, for resends (inside the batch that completes it). */
export function rememberSent(batch: Batch, entry: OutboxEntry, now: number): void {
  if (entry.kind !== OutboxKind.MESSAGE && entry.kind !== OutboxKind.GROUP_MESSAGE) return;
  if (entry.frame === undefined || entry.conv === undefined) return;
  const content = resendableContent(entry);
  if (content === undefined) return;
  const until = entry.expiresAt ?? disappearsAt(content, now);
  const record: SentRecord = {
    v: 1,
    msg: entry.id,
    conv: entry.conv,
    content,
    ...(entry.group === undefined ? {} : { group: entry.group }),
    to: entry.frame.to.map((r) => ({ user: r.user, devices: r.devices.map((d) => d.device) })),
    at: now,
    ...(until === undefined ? {} : { until }),
    tries: 0,
  };
  batch.set(Keys.sent(entry.id), encodeRecord(record));
}

function expired(record: SentRecord, now: number): boolean {
  return (
    now - record.at >= SENT_RETENTION_MS || (record.until !== undefined && record.until <= now)
  );
}

/**
 * A device we sent frame `content.id` to could not decrypt it: send it again
 * (or, past the limits, leave the message `failed`). Stages everything.
 */
export async function receiveRetry(
  ctx: RetryContext,
  batch: Batch,
  from: string,
  fromDevice: number,
  content: RetryContent,
): Promise<{ effects: InboxEffect[]; queuedOutbox: boolean }> {
  const none = { effects: [], queuedOutbox: false };
  const { account, deps } = ctx.sessions;
  // Sync copies of a retry our other device sent reach us too: only ours to answer.
  if (content.u !== account.userId || content.d !== account.deviceId) return none;
  if (from === account.userId && fromDevice === account.deviceId) return none;
  const key = Keys.sent(content.id);
  const raw = await batch.get(key);
  if (raw === undefined) return none; // not ours, or forgotten: nothing to resend
  const record = readSent(raw);
  if (record === undefined) {
    batch.delete(key);
    return none;
  }
  // Only a device the frame was addressed to may ask for it.
  if (!record.to.some((r) => r.user === from && r.devices.includes(fromDevice))) return none;
  if (record.group !== undefined) {
    const group = await readGroup(batch, record.group);
    const head = group?.chain.head.state;
    if (head === undefined || !isMember(head, account.userId) || !isMember(head, from)) {
      return none;
    }
  }
  const now = deps.now();
  const fail = async () => {
    const failed = await advanceMessage(batch, account.userId, record.msg, MessageState.FAILED, {
      error: ErrorCode.NOT_DECRYPTED,
    });
    return {
      effects: failed === undefined ? [] : [{ type: 'message-state' as const, message: failed }],
      queuedOutbox: false,
    };
  };
  if (expired(record, now)) {
    batch.delete(key);
    return fail();
  }
  if (record.tries >= MAX_RESENDS) return fail();
  const allowed = await take(batch, Keys.retryIn(from, fromDevice), now, RESENDS_PER_WINDOW);
  if (allowed !== 'ok') return fail();

  // Counted on the copy asked for and carried to the resend's own copy: every
  // path from one message ends after MAX_RESENDS.
  batch.set(key, encodeRecord({ ...record, tries: record.tries + 1 }));
  const id = deps.random(16) as OutboxEntry['id'];
  stageEntry(
    batch,
    newOutboxEntry({
      id,
      stamp: await ctx.stamps.next(batch),
      kind: OutboxKind.RESEND,
      conv: record.conv,
      content: record.content,
      recipients: [from],
      msg: record.msg,
      ...(record.group === undefined ? {} : { group: record.group }),
      createdAt: now,
      ...(record.until === undefined ? {} : { expiresAt: record.until }),
    }),
  );
  // The resend can itself be asked for again (its frame may be tampered with too),
  // except a disappearing message's: the expiry sweep finds copies by message id only.
  if (record.until === undefined) {
    batch.set(
      Keys.sent(id),
      encodeRecord({
        ...record,
        to: [{ user: from, devices: [fromDevice] }],
        tries: record.tries + 1,
      }),
    );
  }
  const { effects } = await fail();
  return { effects, queuedOutbox: true };
}

/** Deletes sent contents past SENT_RETENTION_MS (or their expiry), then the oldest beyond SENT_MAX. */
export async function pruneSent(batch: Batch, now: number): Promise<number> {
  let pruned = 0;
  const kept: Array<{ key: string; at: number }> = [];
  for (const [key, raw] of await batch.records.list(Keys.sentAll)) {
    const record = readSent(raw);
    if (record === undefined || expired(record, now)) {
      batch.delete(key);
      pruned++;
    } else {
      kept.push({ key, at: record.at });
    }
  }
  kept.sort((a, b) => a.at - b.at);
  for (const { key } of kept.slice(0, Math.max(0, kept.length - SENT_MAX))) {
    batch.delete(key);
    pruned++;
  }
  for (const prefix of ['retryout/', 'retryin/']) {
    for (const [key, raw] of await batch.records.list(prefix)) {
      try {
        if (now - decodeRecord(WindowSchema, raw, 'retry window').start < RETRY_WINDOW_MS) continue;
      } catch {
        // unreadable: drop it
      }
      batch.delete(key);
    }
  }
  return pruned;
}
