/**
 * What the outbox's traffic changes in the store (sender.ts runs it): an
 * entry encrypted for its recipients (send-frames.ts, groups/send.ts), and the
 * relay's answer to a frame applied: `stored` completes the entry (a message
 * becomes `stored`, or `resent`), `mismatch` re-addresses it, an error retries
 * or fails it (outbox.ts decides which). Each is one job on the serial queue
 * with its own batch; message state changes are reported after the write.
 */
import type { Random } from '../../crypto/random.ts';
import { ErrorCode, isParleyError, isRetryable, ParleyError } from '../../errors.ts';
import type { MismatchFrame } from '../../wire/frames.ts';
import { MessageState } from '../conversations/conversations.ts';
import { advanceMessage, type MessageRecord } from '../conversations/messages.ts';
import { randomFraction } from '../deps.ts';
import { encryptGroupEntry, readdressGroupEntry } from '../groups/send.ts';
import { rememberSent } from '../inbox/retry.ts';
import type { SessionContext } from '../sessions/sessions.ts';
import { Batch } from '../store/batch.ts';
import type { RecordStore } from '../store/store.ts';
import {
  decideOutboxAnswer,
  entryKey,
  isMessageKind,
  type OutboxAnswer,
  type OutboxEntry,
  OutboxKind,
  readEntry,
  stageEntry,
} from './outbox.ts';
import { encryptEntry, type PrepareOutcome, readdressEntry } from './send-frames.ts';

export interface OutboxStoreHost {
  readonly records: RecordStore;
  readonly now: () => number;
  readonly random: Random;
  /** Undefined while the account is not loaded (locked vault). */
  readonly sessions: () => SessionContext | undefined;
  readonly onMessageState: (message: MessageRecord) => void;
}

/** Which frame of an entry was sent: its `pre` frame (a group sender key) or its own. */
export interface SentPart {
  /** The outbox entry's record key. */
  readonly key: string;
  readonly part: 'pre' | 'main';
}

/** REST trouble while encrypting (bundle fetch): try again after this long. */
export const PREPARE_RETRY_MS = 5_000;

/** Encrypts one entry (job). 'stop' = the relay's REST side is unreachable right now. */
export async function prepareEntry(
  h: OutboxStoreHost,
  listed: OutboxEntry,
): Promise<OutboxEntry | undefined | 'stop'> {
  const ctx = h.sessions();
  if (ctx === undefined) return 'stop';
  const batch = new Batch(h.records);
  const current = await readEntry(batch, entryKey(listed));
  if (current === undefined || current.frame !== undefined) return current;
  let outcome: PrepareOutcome;
  try {
    outcome =
      current.kind === OutboxKind.GROUP_MESSAGE
        ? await encryptGroupEntry(ctx, batch, current)
        : await encryptEntry(ctx, batch, current);
  } catch (e) {
    if (isTransient(e)) return 'stop';
    if (!isParleyError(e)) throw e;
    await failNow(h, current, e.code);
    return undefined;
  }
  return settle(h, batch, current, outcome);
}

async function settle(
  h: OutboxStoreHost,
  batch: Batch,
  entry: OutboxEntry,
  outcome: PrepareOutcome,
): Promise<OutboxEntry | undefined> {
  if (outcome.kind === 'ready') {
    await batch.commit();
    return outcome.entry;
  }
  if (outcome.kind === 'nothing-to-send') {
    await complete(h, batch, entry);
    return undefined;
  }
  // The identity change itself (if just discovered) is staged in `batch`: keep it.
  const code =
    outcome.kind === 'identity-changed'
      ? ErrorCode.IDENTITY_CHANGED
      : outcome.kind === 'failed'
        ? outcome.code
        : ErrorCode.NOT_FOUND;
  const failed = await stageFailure(h, batch, entry, code);
  await batch.commit();
  if (failed !== undefined) h.onMessageState(failed);
  return undefined;
}

async function stageFailure(
  h: OutboxStoreHost,
  batch: Batch,
  entry: OutboxEntry,
  code: string,
): Promise<MessageRecord | undefined> {
  batch.delete(entryKey(entry));
  const ctx = h.sessions();
  const message = messageOf(entry);
  if (message === undefined || ctx === undefined) return undefined;
  return advanceMessage(batch, ctx.account.userId, message, MessageState.FAILED, {
    error: code,
  });
}

async function failNow(h: OutboxStoreHost, entry: OutboxEntry, code: string): Promise<void> {
  const batch = new Batch(h.records);
  const failed = await stageFailure(h, batch, entry, code);
  await batch.commit();
  if (failed !== undefined) h.onMessageState(failed);
}

/** The entry is done: deleted, and a message becomes `stored`. */
async function complete(h: OutboxStoreHost, batch: Batch, entry: OutboxEntry): Promise<void> {
  batch.delete(entryKey(entry));
  const ctx = h.sessions();
  let stored: MessageRecord | undefined;
  if (ctx !== undefined && isMessageKind(entry.kind)) {
    stored = await advanceMessage(batch, ctx.account.userId, entry.id, MessageState.STORED);
    rememberSent(batch, entry, h.now());
  } else if (ctx !== undefined && entry.kind === OutboxKind.RESEND && entry.msg !== undefined) {
    stored = await advanceMessage(batch, ctx.account.userId, entry.msg, MessageState.RESENT);
  }
  await batch.commit();
  if (stored !== undefined) h.onMessageState(stored);
}

export async function applyAnswer(
  h: OutboxStoreHost,
  flight: SentPart,
  answer: OutboxAnswer,
  mismatch: MismatchFrame | undefined,
): Promise<void> {
  const { key } = flight;
  const batch = new Batch(h.records);
  const entry = await readEntry(batch, key);
  if (entry === undefined) return;
  if (flight.part === 'pre' && answer.type === 'stored') {
    // The sender key is queued for every device that lacked it: now the message.
    const { pre: _sent, ...rest } = entry;
    stageEntry(batch, rest);
    await batch.commit();
    return;
  }
  const decision = decideOutboxAnswer(entry, answer, h.now(), randomFraction(h.random));
  const ctx = h.sessions();
  switch (decision.action) {
    case 'done':
      await complete(h, batch, entry);
      return;
    case 'retry':
      stageEntry(batch, {
        ...entry,
        attempts: entry.attempts + 1,
        notBefore: decision.notBefore,
      });
      await batch.commit();
      return;
    case 'fail': {
      const failed = await stageFailure(h, batch, entry, decision.code);
      await batch.commit();
      if (failed !== undefined) h.onMessageState(failed);
      return;
    }
    case 'fix': {
      if (ctx === undefined || mismatch === undefined) return;
      let outcome: PrepareOutcome;
      try {
        outcome =
          entry.kind === OutboxKind.GROUP_MESSAGE
            ? await readdressGroupEntry(ctx, batch, entry, mismatch.users)
            : await readdressEntry(ctx, batch, entry, mismatch.users);
      } catch (e) {
        if (isTransient(e)) {
          // Could not fetch bundles now: send again later; the relay will answer mismatch again.
          const retry = new Batch(h.records);
          stageEntry(retry, { ...entry, notBefore: h.now() + PREPARE_RETRY_MS });
          await retry.commit();
          return;
        }
        if (!isParleyError(e)) throw e;
        await failNow(h, entry, e.code);
        return;
      }
      await settle(h, batch, entry, outcome);
      return;
    }
  }
}

/** The message record an entry's answers move: its own id, or the one a resend carries. */
function messageOf(entry: OutboxEntry): Uint8Array | undefined {
  if (isMessageKind(entry.kind)) return entry.id;
  return entry.kind === OutboxKind.RESEND ? entry.msg : undefined;
}

function isTransient(e: unknown): boolean {
  return e instanceof ParleyError && isRetryable(e.code);
}
