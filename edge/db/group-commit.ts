/**
 * Group commit: writes submitted during one turn of the event loop are
 * applied together in one transaction, then every submitter is answered.
 * A commit costs the same for one row as for hundreds (WAL append, locking,
 * and fsync with synchronous=FULL), so under load the relay pays it once per
 * turn instead of once per message, and nobody is answered before the
 * transaction holding their write has committed.
 *
 * If a batch fails, each write is retried in a transaction of its own, so one
 * bad write cannot fail its neighbours. If it fails because another process
 * holds the database's write lock (`isBusy`), the whole batch is retried a
 * little later instead — without blocking the event loop, as SQLite's own
 * busy handler would (it sleeps the calling thread) — every 1, 2, then 4 ms, for up to
 * `busyTimeoutMs`, while new writes keep joining it.
 */
import { setImmediate } from 'node:timers';

export interface GroupCommitOptions<I, O> {
  /** Applies every input in one transaction; returns one output per input, in order. */
  readonly runBatch: (inputs: readonly I[]) => O[] | Promise<O[]>;
  /** Applies one input in a transaction of its own (the fallback after a failed batch). */
  readonly runOne: (input: I) => O | Promise<O>;
  /** Upper bound on inputs per transaction (bounds how long a synchronous driver blocks). */
  readonly maxBatch?: number;
  /** Defers the flush; default: after the I/O events of this loop turn (setImmediate). */
  readonly schedule?: (flush: () => void) => void;
  /** True for "the write lock is held elsewhere, try again soon". */
  readonly isBusy?: (error: unknown) => boolean;
  /** How long a batch may keep waiting for the lock before its writes fail (default 5000). */
  readonly busyTimeoutMs?: number;
  readonly now?: () => number;
}

interface Pending<I, O> {
  readonly input: I;
  readonly resolve: (output: O) => void;
  readonly reject: (error: unknown) => void;
}

export class GroupCommit<I, O> {
  readonly #options: GroupCommitOptions<I, O>;
  readonly #maxBatch: number;
  readonly #schedule: (flush: () => void) => void;
  #queue: Pending<I, O>[] = [];
  #scheduled = false;
  #running = false;
  /** When the current run of busy retries started (undefined: not waiting for the lock). */
  #busySince: number | undefined;
  #busyDelayMs = 0;
  /** Sizes of the last batches, for tests and metrics. */
  lastBatchSize = 0;

  constructor(options: GroupCommitOptions<I, O>) {
    this.#options = options;
    this.#maxBatch = options.maxBatch ?? 2000;
    this.#schedule = options.schedule ?? ((flush) => void setImmediate(flush));
  }

  submit(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ input, resolve, reject });
      this.#kick();
    });
  }

  get pending(): number {
    return this.#queue.length;
  }

  #kick(): void {
    if (this.#scheduled || this.#running) return;
    this.#scheduled = true;
    this.#schedule(() => {
      this.#scheduled = false;
      void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    if (this.#running || this.#queue.length === 0) return;
    this.#running = true;
    const batch =
      this.#queue.length <= this.#maxBatch ? this.#queue : this.#queue.slice(0, this.#maxBatch);
    this.#queue = batch === this.#queue ? [] : this.#queue.slice(this.#maxBatch);
    this.lastBatchSize = batch.length;
    let retryInMs: number | undefined;
    try {
      let outputs: O[] | undefined;
      try {
        outputs = await this.#options.runBatch(batch.map((p) => p.input));
        this.#busySince = undefined;
      } catch (error) {
        retryInMs = this.#busyRetry(error);
        if (retryInMs !== undefined) {
          this.#queue = batch.concat(this.#queue); // same order, tried again shortly
          return;
        }
        outputs = undefined;
      }
      if (outputs !== undefined && outputs.length === batch.length) {
        for (let i = 0; i < batch.length; i++) (batch[i] as Pending<I, O>).resolve(outputs[i] as O);
      } else {
        for (const p of batch) {
          try {
            p.resolve(await this.#options.runOne(p.input));
          } catch (error) {
            p.reject(error);
          }
        }
      }
    } finally {
      this.#running = false;
      if (retryInMs !== undefined) {
        this.#scheduled = true;
        setTimeout(() => {
          this.#scheduled = false;
          void this.#flush();
        }, retryInMs);
      } else if (this.#queue.length > 0) {
        this.#kick();
      }
    }
  }

  /** The delay before retrying a batch that hit a held lock, or undefined to give up. */
  #busyRetry(error: unknown): number | undefined {
    if (this.#options.isBusy?.(error) !== true) return undefined;
    const now = (this.#options.now ?? Date.now)();
    if (this.#busySince === undefined) {
      this.#busySince = now;
      this.#busyDelayMs = 1;
    } else {
      this.#busyDelayMs = Math.min(4, this.#busyDelayMs * 2);
    }
    if (now - this.#busySince > (this.#options.busyTimeoutMs ?? 5000)) {
      this.#busySince = undefined;
      return undefined;
    }
    return this.#busyDelayMs;
  }
}
