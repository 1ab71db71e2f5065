/**
 * Outgoing signals across instances: the signals of one event-loop turn are
 * grouped, and one script call per chunk looks every device's holder up and
 * publishes to each other holding instance once; the signals for devices
 * held here (or by nobody on record) come back and are delivered locally.
 * With Redis unreachable every signal is delivered locally: the others catch
 * up by polling (shared.ts).
 */
import { setImmediate } from 'node:timers';
import type { FanoutSignal } from './fanout.ts';
import type { RedisLink } from './redis-link.ts';
import { CHUNK, INSTANCE_CHANNEL_PREFIX, noteText, ROUTE, recordKey } from './redis-scripts.ts';
import type { ThrottledWarn } from './throttled-warn.ts';

interface Outgoing {
  readonly key: string;
  readonly signal: FanoutSignal;
  readonly resolve: () => void;
}

export class SignalRouter {
  readonly #link: RedisLink;
  readonly #instance: string;
  readonly #deliverLocal: (key: string, signal: FanoutSignal) => void;
  readonly #warn: ThrottledWarn;
  #outgoing: Outgoing[] = [];
  #flushScheduled = false;

  constructor(
    link: RedisLink,
    instance: string,
    deliverLocal: (key: string, signal: FanoutSignal) => void,
    warn: ThrottledWarn,
  ) {
    this.#link = link;
    this.#instance = instance;
    this.#deliverLocal = deliverLocal;
    this.#warn = warn;
  }

  /** Resolves once the signal was published or delivered here (never rejects). */
  signal(key: string, signal: FanoutSignal): Promise<void> {
    // Rows never ride along here: flushes may overlap, so their order is not the commit order.
    const bare: FanoutSignal =
      signal.type === 'queued' && signal.row !== undefined
        ? { type: 'queued', seq: signal.seq }
        : signal;
    return new Promise((resolve) => {
      this.#outgoing.push({ key, signal: bare, resolve });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => {
          this.#flushScheduled = false;
          void this.#flush();
        });
      }
    });
  }

  /** One lookup for every device signalled this turn, then one publish per holding instance. */
  async #flush(): Promise<void> {
    const batch = this.#outgoing;
    this.#outgoing = [];
    if (batch.length === 0) return;
    try {
      for (let i = 0; i < batch.length; i += CHUNK) {
        const chunk = batch.slice(i, i + CHUNK);
        // One round trip: the script looks every holder up and publishes to the other
        // instances itself; it returns the signals that are ours (or unrecorded).
        const local = await this.#link.eval(
          ROUTE,
          chunk.map((o) => recordKey(o.key)),
          [this.#instance, INSTANCE_CHANNEL_PREFIX, ...chunk.map((o) => noteText(o.key, o.signal))],
        );
        for (const index of Array.isArray(local) ? local : []) {
          const o = chunk[Number(index) - 1];
          // Ours, or unrecorded (a claim that failed): whoever holds it here gets it.
          if (o !== undefined) this.#deliverLocal(o.key, o.signal);
        }
      }
    } catch (error) {
      // Redis unreachable: local holders still hear about their rows; others catch up by polling.
      this.#warn.warn('fanout.publish_failed', error);
      for (const o of batch) this.#deliverLocal(o.key, o.signal);
    } finally {
      for (const o of batch) o.resolve();
    }
  }
}
