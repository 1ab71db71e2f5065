/**
 * Local sort stamps: milliseconds from the injected clock, made strictly
 * increasing (max(now, last + 1)) so messages that arrive in one burst keep
 * their arrival order, and persisted with the writes that use them so the
 * order survives a restart even if the clock steps back.
 */
import * as v from 'valibot';
import type { Batch } from './batch.ts';
import { decodeRecord, encodeRecord, IntField } from './record-codec.ts';
import { Keys } from './storage-keys.ts';

const ClockSchema = v.object({ last: IntField });

export class StampClock {
  readonly #now: () => number;
  #last: number | undefined;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Next stamp; stages the clock record in `batch` (memory follows only after the commit). */
  async next(batch: Batch): Promise<number> {
    const raw = await batch.get(Keys.clock);
    const stored = raw === undefined ? 0 : decodeRecord(ClockSchema, raw, 'clock').last;
    const last = Math.max(stored, this.#last ?? 0);
    const stamp = Math.max(this.#now(), last + 1);
    batch.set(Keys.clock, encodeRecord({ last: stamp }));
    batch.afterCommit(() => {
      this.#last = Math.max(this.#last ?? 0, stamp);
    });
    return stamp;
  }
}
