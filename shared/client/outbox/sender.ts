/**
 * Runs the outbox (outbox.ts) against the relay connection: encrypts pending
 * entries, sends them in queue order while online (at most MAX_IN_FLIGHT
 * unanswered), and routes the relay's answers to the frames they answer
 * (answers.ts applies them: `stored` deletes the entry, `mismatch`
 * re-addresses it, an error retries or fails it). Every store change runs as
 * a job on the client's serial queue; the
 * in-flight set lives in memory and is cleared when the socket drops, so the
 * next connection sends everything unanswered again (same id, same bytes).
 */
import type { ErrorFrame, MismatchFrame, SendFrame, StoredFrame } from '../../wire/frames.ts';
import type { TimerHandle, Timers } from '../deps.ts';
import type { SerialQueue } from '../store/serial.ts';
import { Keys } from '../store/storage-keys.ts';
import {
  applyAnswer,
  type OutboxStoreHost,
  PREPARE_RETRY_MS,
  prepareEntry,
  type SentPart,
} from './answers.ts';
import {
  decodeEntry,
  entryKey,
  frameRecipients,
  idKey,
  isBarrierKind,
  MAX_IN_FLIGHT,
  type OutboxAnswer,
  type OutboxEntry,
  readEntry,
} from './outbox.ts';

export interface SenderHost extends OutboxStoreHost {
  readonly queue: SerialQueue;
  readonly timers: Timers;
  /** Hands a frame to the socket; false when not online. */
  readonly send: (frame: SendFrame) => boolean;
  readonly online: () => boolean;
  readonly onError: (error: unknown, context: string) => void;
}

/** A frame on the wire, not yet answered. */
interface InFlight extends SentPart {
  /** Nothing after it is sent until it is answered. */
  readonly barrier: boolean;
}

/** Outbox entries read per page while pumping. */
const PAGE = 64;

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
      const prepared = await this.#h.queue.run(() => prepareEntry(this.#h, listed));
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
      .run(() => applyAnswer(this.#h, flight, answer, mismatch))
      .catch((e: unknown) => this.#h.onError(e, 'outbox answer'))
      .finally(() => {
        if (this.#inFlight.get(hex) === flight) this.#inFlight.delete(hex);
        this.pump();
      });
  }
}
