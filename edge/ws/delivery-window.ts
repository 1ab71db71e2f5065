/**
 * Which queued rows a socket may be sent, and when to read the queue: the
 * delivery state of one connection, with no socket, database or clock. The
 * connection feeds it what happened (a read's result, a fanout signal, an
 * ack, the socket's buffered bytes) and does what it answers (read, deliver,
 * wait, read again after a pause, say `drained`).
 *
 * Invariants it keeps: rows go out in seq order, each at most once (the
 * cursor only grows); at most WINDOW are unacknowledged; nothing is read
 * while the socket buffer is over the back-pressure mark; a committed row is
 * sent without reading it back only when no lower unsent row can exist.
 */

/** Deliveries sent but not yet acknowledged, per socket: bounds memory and socket buffers. */
export const DELIVERY_WINDOW = 256;
export const DELIVERY_BATCH = 64;
/** Above this many buffered bytes the pump waits for the socket to drain (checked on tick). */
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** Pauses before reading again for an announced row that a read did not return. */
export const REREAD_DELAYS_MS: readonly number[] = [1, 2, 5, 10, 20, 50, 100, 200];

/** What to do before the next read. */
export type ReadStep =
  | { readonly kind: 'read'; readonly after: number; readonly limit: number }
  /** The socket buffer is over the mark: the hub's tick resumes (see needsResume). */
  | { readonly kind: 'paused' }
  /** The window is full: an ack resumes. */
  | { readonly kind: 'full' };

/** What a read's result means. */
export type ReadOutcome =
  /** A full batch: there may be more, read again. */
  | { readonly kind: 'more' }
  /** The end of the queue; rereadInMs: an announced row is missing, read again after that pause. */
  | { readonly kind: 'done'; readonly rereadInMs?: number };

/** A `queued` fanout signal, as the window needs it (FanoutSignal fits). */
export interface QueuedSignal {
  /** Seq the writer announced. */
  readonly seq: number;
  /** The row carried with the signal (same-instance writes), if any. */
  readonly row?: { readonly seq: number } | undefined;
  /** Writer epoch at the commit (undefined: unknown). */
  readonly epoch?: number | undefined;
}

const PAUSED: ReadStep = Object.freeze({ kind: 'paused' });
const FULL: ReadStep = Object.freeze({ kind: 'full' });
const MORE: ReadOutcome = Object.freeze({ kind: 'more' });
const DONE: ReadOutcome = Object.freeze({ kind: 'done' });

export class DeliveryWindow {
  /** Highest seq sent. */
  #cursor = 0;
  readonly #unacked = new Set<number>();
  /** `ready` has gone out: deliveries wait for it (a signal can come while auth finishes). */
  #ready = false;
  #pumping = false;
  #pumpAgain = false;
  #backlogDone = false;
  #drainedSent = false;
  /** The pump stopped because the socket buffer was full; the tick resumes it. */
  #paused = false;
  /** The last read reached the end of the queue, and nothing was held back since. */
  #caughtUp = false;
  /** Writer epoch at that read (undefined: unknown, so no direct sends). */
  #caughtUpEpoch: number | undefined;
  /** Highest seq announced by a signal (see readDone). */
  #announced = 0;
  #rereads = 0;
  #rereadPending = false;

  get cursor(): number {
    return this.#cursor;
  }

  get unacked(): number {
    return this.#unacked.size;
  }

  get ready(): boolean {
    return this.#ready;
  }

  /** `ready` was sent: deliveries may start. */
  markReady(): void {
    this.#ready = true;
  }

  /** Only a pump paused for back-pressure needs the tick: idle sockets cost no queries. */
  get needsResume(): boolean {
    return this.#paused && !this.#pumping;
  }

  /**
   * A pump starts. False: one is already running, and it will make one more
   * pass instead, so a burst of signals costs one read per batch, not one per signal.
   */
  startPump(): boolean {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return false;
    }
    this.#pumping = true;
    return true;
  }

  /** A pass of the running pump starts. */
  startPass(): void {
    this.#pumpAgain = false;
  }

  /** Whether something asked for a pump during the pass that just ended. */
  get passAgain(): boolean {
    return this.#pumpAgain;
  }

  endPump(): void {
    this.#pumping = false;
  }

  nextRead(buffered: number): ReadStep {
    if (buffered > MAX_BUFFERED_BYTES) {
      this.#paused = true;
      this.#caughtUp = false;
      return PAUSED;
    }
    this.#paused = false;
    const room = Math.min(DELIVERY_BATCH, DELIVERY_WINDOW - this.#unacked.size);
    if (room <= 0) {
      this.#caughtUp = false; // rows may be waiting beyond the window
      return FULL;
    }
    return { kind: 'read', after: this.#cursor, limit: room };
  }

  /**
   * A row may be sent (true) unless it was already: moves the cursor and
   * counts it unacknowledged.
   */
  take(seq: number): boolean {
    if (seq <= this.#cursor) return false;
    this.#cursor = seq;
    this.#unacked.add(seq);
    return true;
  }

  /** A taken row could not be sent after all (it failed to encode): it no longer holds a slot. */
  untake(seq: number): void {
    this.#unacked.delete(seq);
  }

  /**
   * A read of at most `limit` rows returned `count`. A row announced by
   * another instance can be missing from a read made right after the
   * announcement (a WAL reader may start on an older snapshot; observed at
   * ~5% of cross-instance messages under load): rather than wait for the next
   * signal, the socket reads again a few times with growing pauses, and an
   * announcement that never shows up (the row expired) is dropped after that.
   */
  readDone(count: number, limit: number, epoch: number | undefined): ReadOutcome {
    if (count >= limit) {
      this.#caughtUp = false;
      return MORE;
    }
    this.#backlogDone = true;
    if (this.#cursor < this.#announced) {
      this.#caughtUp = false;
      const delay = this.#rereadDelay();
      return delay === undefined ? DONE : { kind: 'done', rereadInMs: delay };
    }
    this.#caughtUp = true;
    this.#caughtUpEpoch = epoch;
    this.#rereads = 0;
    return DONE;
  }

  #rereadDelay(): number | undefined {
    if (this.#rereadPending) return undefined;
    if (this.#rereads >= REREAD_DELAYS_MS.length) {
      this.#announced = this.#cursor;
      this.#rereads = 0;
      return undefined;
    }
    this.#rereadPending = true;
    return REREAD_DELAYS_MS[this.#rereads++] ?? 0;
  }

  /** The pause asked for by readDone is over (the caller pumps again). */
  rereadDue(): void {
    this.#rereadPending = false;
  }

  /** True once, at the end of the first pass that reached the end of the queue. */
  takeDrained(): boolean {
    if (!this.#backlogDone || this.#drainedSent) return false;
    this.#drainedSent = true;
    return true;
  }

  /**
   * A row was committed for this device. 'deliver': its row may go out
   * without reading it back, because this socket has read its queue to the
   * end, nothing is being read right now, and no other process has written
   * queue rows since that read (writer epoch unchanged), so no unsent row of
   * this device can have a lower seq. 'read': the pump must read.
   */
  queued(signal: QueuedSignal, buffered: number): 'deliver' | 'read' {
    if (signal.row !== undefined && this.#canSendDirectly(signal.row.seq, signal.epoch, buffered))
      return 'deliver';
    if (signal.seq > this.#announced) this.#announced = signal.seq;
    return 'read';
  }

  #canSendDirectly(seq: number, epoch: number | undefined, buffered: number): boolean {
    return (
      this.#caughtUp &&
      epoch !== undefined &&
      epoch === this.#caughtUpEpoch &&
      this.#ready &&
      this.#drainedSent &&
      !this.#pumping &&
      !this.#paused &&
      seq > this.#cursor &&
      this.#unacked.size < DELIVERY_WINDOW &&
      buffered <= MAX_BUFFERED_BYTES
    );
  }

  /**
   * The client acknowledged these rows. True: read again, because only a
   * pump that stopped short (full window, full buffer) has rows left to read;
   * a caught-up socket hears of new rows through signals.
   */
  acked(qids: Iterable<number>): boolean {
    for (const qid of qids) this.#unacked.delete(qid);
    return !this.#caughtUp;
  }
}
