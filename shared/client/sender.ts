/**
 * Runs the outbox (outbox.ts) against the relay connection: encrypts pending
 * entries (send-frames.ts), sends them in queue order while online (at most
 * MAX_IN_FLIGHT unanswered), and applies the relay's answers: `stored`
 * deletes the entry, `mismatch` re-addresses it, an error retries or fails
 * it. Every store change runs as a job on the client's serial queue; the
 * in-flight set lives in memory and is cleared when the socket drops, so the
 * next connection sends everything unanswered again (same id, same bytes).
 */
import type { Random } from '../crypto/random.ts';
import { ErrorCode, isParleyError, isRetryable, ParleyError } from '../errors.ts';
import type { ErrorFrame, MismatchFrame, SendFrame, StoredFrame } from '../wire/frames.ts';
import { Batch } from './batch.ts';
import { MessageState } from './conversations.ts';
import { randomFraction, type TimerHandle, type Timers } from './deps.ts';
import { encryptGroupEntry, readdressGroupEntry } from './groups/send.ts';
import { advanceMessage, type MessageRecord } from './messages.ts';
import {
  decideOutboxAnswer,
  decodeEntry,
  entryKey,
  frameRecipients,
  idKey,
  isBarrierKind,
  isMessageKind,
  MAX_IN_FLIGHT,
  type OutboxAnswer,
  type OutboxEntry,
  OutboxKind,
  readEntry,
  stageEntry,
} from './outbox.ts';
import { rememberSent } from './retry.ts';
import { encryptEntry, type PrepareOutcome, readdressEntry } from './send-frames.ts';
import type { SerialQueue } from './serial.ts';
import type { SessionContext } from './sessions.ts';
import { Keys } from './storage-keys.ts';
import type { RecordStore } from './store.ts';

export interface SenderHost {
  readonly records: RecordStore;
  readonly queue: SerialQueue;
  readonly timers: Timers;
  readonly now: () => number;
  readonly random: Random;
  /** Undefined while the account is not loaded (locked vault). */
  readonly sessions: () => SessionContext | undefined;
  /** Hands a frame to the socket; false when not online. */
  readonly send: (frame: SendFrame) => boolean;
  readonly online: () => boolean;
  readonly onMessageState: (message: MessageRecord) => void;
  readonly onError: (error: unknown, context: string) => void;
}

/** A frame on the wire, not yet answered. */
interface InFlight {
  /** The outbox entry's record key. */
  readonly key: string;
  /** The entry's `pre` frame (a group sender key) or its own frame. */
  readonly part: 'pre' | 'main';
  /** Nothing after it is sent until it is answered. */
  readonly barrier: boolean;
}

/** Outbox entries read per page while pumping. */
const PAGE = 64;
/** REST trouble while encrypting (bundle fetch): try again after this long. */
const PREPARE_RETRY_MS = 5_000;

export class Sender {
  readonly #h: SenderHost;
  /** Frame id (hex) -> what it was, for frames sent on the current socket and not yet answered. */
  readonly #inFlight = new Map<string, InFlight>();
  #pumping = false;
  #again = false;
  #timer: TimerHandle | undefined;
  #timerAt = Number.POSITIVE_INFINITY;

  constructor(host: SenderHost) {
    this.#h = host;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Sends whatever can be sent now; safe to call any time (calls fold together). */
  pump(): void {
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    void (async () => {
      try {
        do {
          this.#again = false;
          await this.#pumpOnce();
        } while (this.#again);
      } catch (e) {
        this.#h.onError(e, 'outbox');
      } finally {
        this.#pumping = false;
      }
    })();
  }

  /** The socket is gone: everything unanswered goes out again on the next one. */
  onDisconnect(): void {
    this.#inFlight.clear();
  }

  stop(): void {
    if (this.#timer !== undefined) this.#h.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    this.#inFlight.clear();
  }

  #wakeAt(at: number): void {
    if (at >= this.#timerAt) return;
    if (this.#timer !== undefined) this.#h.timers.clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = this.#h.timers.setTimeout(
      () => {
        this.#timer = undefined;
        this.#timerAt = Number.POSITIVE_INFINITY;
        this.pump();
      },
      Math.max(0, at - this.#h.now()),
    );
  }

  #barrierInFlight(): boolean {
    for (const f of this.#inFlight.values()) if (f.barrier) return true;
    return false;
  }

  async #pumpOnce(): Promise<void> {
    if (!this.#h.online() || this.#h.sessions() === undefined) return;
    if (this.#barrierInFlight()) return;
    // Walk the queue in pages: entries already in flight are skipped by key, undecoded.
    let cursor: string | undefined;
    while (this.#inFlight.size < MAX_IN_FLIGHT) {
      const rows = await this.#h.records.list(Keys.outbox, {
        limit: PAGE,
        ...(cursor === undefined ? {} : { after: cursor }),
      });
      if (rows.length === 0) return;
      for (const [key, raw] of rows) {
        cursor = key;
        if (this.#inFlight.size >= MAX_IN_FLIGHT) return;
        const hex = key.slice(key.lastIndexOf('/') + 1);
        if (this.#inFlight.has(hex)) continue;
        const listed = decodeEntry(raw);
        if (listed.notBefore !== undefined && listed.notBefore > this.#h.now()) {
          this.#wakeAt(listed.notBefore);
          continue;
        }
        const sent = await this.#sendEntry(listed, hex);
        if (sent === 'stop' || this.#barrierInFlight()) return;
      }
    }
  }

  async #sendEntry(listed: OutboxEntry, hex: string): Promise<'sent' | 'skipped' | 'stop'> {
    let entry: OutboxEntry | undefined = listed;
    if (entry.frame === undefined) {
      const prepared = await this.#h.queue.run(() => this.#prepare(listed));
      if (prepared === 'stop') {
        this.#wakeAt(this.#h.now() + PREPARE_RETRY_MS);
        return 'stop';
      }
      entry = prepared;
    }
    if (entry?.frame === undefined) return 'skipped';
    // The page may be older than an answer that deleted this entry meanwhile.
    const current = await readEntry(this.#h.records, entryKey(entry));
    if (this.#inFlight.has(hex) || current?.frame === undefined) return 'skipped';
    const key = entryKey(current);
    if (current.pre !== undefined) {
      // The sender key first: the message goes out once the relay stored it.
      const pre: SendFrame = {
        t: 'send',
        id: current.pre.id,
        to: frameRecipients(current.pre.frame),
      };
      if (!this.#h.send(pre)) return 'stop';
      this.#inFlight.set(idKey(current.pre.id), { key, part: 'pre', barrier: true });
      return 'sent';
    }
    const frame: SendFrame = {
      t: 'send',
      id: current.id,
      to: frameRecipients(current.frame),
      ...(current.frame.body === undefined ? {} : { body: current.frame.body }),
      ...(current.expiresAt === undefined ? {} : { expiresAt: current.expiresAt }),
    };
    if (!this.#h.send(frame)) return 'stop';
    this.#inFlight.set(hex, { key, part: 'main', barrier: isBarrierKind(current.kind) });
    return 'sent';
  }

  /** Encrypts one entry (job). 'stop' = the relay's REST side is unreachable right now. */
  async #prepare(listed: OutboxEntry): Promise<OutboxEntry | undefined | 'stop'> {
    const ctx = this.#h.sessions();
    if (ctx === undefined) return 'stop';
    const batch = new Batch(this.#h.records);
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
      await this.#failNow(current, e.code);
      return undefined;
    }
    return this.#settle(batch, current, outcome);
  }

  async #settle(
    batch: Batch,
    entry: OutboxEntry,
    outcome: PrepareOutcome,
  ): Promise<OutboxEntry | undefined> {
    if (outcome.kind === 'ready') {
      await batch.commit();
      return outcome.entry;
    }
    if (outcome.kind === 'nothing-to-send') {
      await this.#complete(batch, entry);
      return undefined;
    }
    // The identity change itself (if just discovered) is staged in `batch`: keep it.
    const code =
      outcome.kind === 'identity-changed'
        ? ErrorCode.IDENTITY_CHANGED
        : outcome.kind === 'failed'
          ? outcome.code
          : ErrorCode.NOT_FOUND;
    const failed = await this.#stageFailure(batch, entry, code);
    await batch.commit();
    if (failed !== undefined) this.#h.onMessageState(failed);
    return undefined;
  }

  async #stageFailure(
    batch: Batch,
    entry: OutboxEntry,
    code: string,
  ): Promise<MessageRecord | undefined> {
    batch.delete(entryKey(entry));
    const ctx = this.#h.sessions();
    const message = messageOf(entry);
    if (message === undefined || ctx === undefined) return undefined;
    return advanceMessage(batch, ctx.account.userId, message, MessageState.FAILED, {
      error: code,
    });
  }

  async #failNow(entry: OutboxEntry, code: string): Promise<void> {
    const batch = new Batch(this.#h.records);
    const failed = await this.#stageFailure(batch, entry, code);
    await batch.commit();
    if (failed !== undefined) this.#h.onMessageState(failed);
  }

  // -------------------------------------------------------------------------
  // Relay answers

  onStored(frame: StoredFrame): void {
    this.#answer(frame.id, { type: 'stored' });
  }

  onMismatch(frame: MismatchFrame): void {
    this.#answer(frame.id, { type: 'mismatch' }, frame);
  }

  onError(frame: ErrorFrame): void {
    if (frame.ref === undefined) return;
    this.#answer(frame.ref, { type: 'error', code: frame.code, retryAfterMs: frame.retryAfterMs });
  }

  #answer(id: Uint8Array, answer: OutboxAnswer, mismatch?: MismatchFrame): void {
    const hex = idKey(id);
    const flight = this.#inFlight.get(hex);
    if (flight === undefined) return; // not sent on this socket (or already answered)
    this.#h.queue
      .run(() => this.#apply(flight, answer, mismatch))
      .catch((e: unknown) => this.#h.onError(e, 'outbox answer'))
      .finally(() => {
        if (this.#inFlight.get(hex) === flight) this.#inFlight.delete(hex);
        this.pump();
      });
  }

  /** The entry is done: deleted, and a message becomes `stored`. */
  async #complete(batch: Batch, entry: OutboxEntry): Promise<void> {
    batch.delete(entryKey(entry));
    const ctx = this.#h.sessions();
    let stored: MessageRecord | undefined;
    if (ctx !== undefined && isMessageKind(entry.kind)) {
      stored = await advanceMessage(batch, ctx.account.userId, entry.id, MessageState.STORED);
      rememberSent(batch, entry, this.#h.now());
    } else if (ctx !== undefined && entry.kind === OutboxKind.RESEND && entry.msg !== undefined) {
      stored = await advanceMessage(batch, ctx.account.userId, entry.msg, MessageState.RESENT);
    }
    await batch.commit();
    if (stored !== undefined) this.#h.onMessageState(stored);
  }

  async #apply(
    flight: InFlight,
    answer: OutboxAnswer,
    mismatch: MismatchFrame | undefined,
  ): Promise<void> {
    const { key } = flight;
    const batch = new Batch(this.#h.records);
    const entry = await readEntry(batch, key);
    if (entry === undefined) return;
    if (flight.part === 'pre' && answer.type === 'stored') {
      // The sender key is queued for every device that lacked it: now the message.
      const { pre: _sent, ...rest } = entry;
      stageEntry(batch, rest);
      await batch.commit();
      return;
    }
    const decision = decideOutboxAnswer(
      entry,
      answer,
      this.#h.now(),
      randomFraction(this.#h.random),
    );
    const ctx = this.#h.sessions();
    switch (decision.action) {
      case 'done':
        await this.#complete(batch, entry);
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
        const failed = await this.#stageFailure(batch, entry, decision.code);
        await batch.commit();
        if (failed !== undefined) this.#h.onMessageState(failed);
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
            const retry = new Batch(this.#h.records);
            stageEntry(retry, { ...entry, notBefore: this.#h.now() + PREPARE_RETRY_MS });
            await retry.commit();
            return;
          }
          if (!isParleyError(e)) throw e;
          await this.#failNow(entry, e.code);
          return;
        }
        await this.#settle(batch, entry, outcome);
        return;
      }
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
