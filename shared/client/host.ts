/**
 * What the client's modules share (createClient builds one; group-api,
 * contact-api, expiry-timer and the rest take it or a part of it).
 *
 * `transact` is the one way a module changes state: it queues the job on the
 * serial queue (so it never interleaves with incoming traffic or another
 * change), hands it a fresh Batch, and commits that batch in one store write
 * when the job returns. Work registered with `batch.afterCommit` (cache
 * updates, events) runs only after that write succeeded; a job that throws
 * writes nothing.
 */
import type { Random } from '../crypto/random.ts';
import type { Timers } from './deps.ts';
import { Emitter } from './events.ts';
import { Batch } from './store/batch.ts';
import { SerialQueue } from './store/serial.ts';
import { StampClock } from './store/stamps.ts';
import type { RecordStore } from './store/store.ts';
import type { ClientEvents } from './views.ts';

/** Runs `job` on the serial queue against a new batch and commits what it staged. */
export type Transact = <T>(job: (batch: Batch) => Promise<T>) => Promise<T>;

export function transactOn(queue: SerialQueue, records: RecordStore): Transact {
  return (job) =>
    queue.run(async () => {
      const batch = new Batch(records);
      const out = await job(batch);
      await batch.commit();
      return out;
    });
}

export interface ClientHost {
  readonly records: RecordStore;
  /** For jobs that manage their own batches (the inbox, the outbox); state changes use `transact`. */
  readonly queue: SerialQueue;
  readonly transact: Transact;
  readonly timers: Timers;
  readonly now: () => number;
  readonly random: Random;
  readonly stamps: StampClock;
  readonly events: Emitter<ClientEvents>;
  reportError(error: unknown, context: string): void;
}

/** The host over `records`: one serial queue, one event emitter, one stamp clock. */
export function createClientHost(deps: {
  readonly records: RecordStore;
  readonly timers: Timers;
  readonly now: () => number;
  readonly random: Random;
  readonly onError?: ((error: unknown, context: string) => void) | undefined;
}): ClientHost {
  const { records, timers, now, random } = deps;
  const reportError = (error: unknown, context: string) => deps.onError?.(error, context);
  const queue = new SerialQueue();
  return {
    records,
    queue,
    transact: transactOn(queue, records),
    timers,
    now,
    random,
    stamps: new StampClock(now),
    events: new Emitter<ClientEvents>((e) => reportError(e, 'event listener')),
    reportError,
  };
}
