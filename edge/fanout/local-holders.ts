/**
 * The sockets this instance holds, one per device: what both fan-outs keep
 * locally (in process it is all of them; across instances, Redis records who
 * holds the rest).
 */
import type { FanoutListener, FanoutSignal } from './fanout.ts';

export interface Holder {
  readonly connectionId: string;
  readonly listener: FanoutListener;
}

export class LocalHolders {
  readonly #holders = new Map<string, Holder>();
  readonly #onListenerError: (error: unknown) => void;

  constructor(onListenerError: (error: unknown) => void) {
    this.#onListenerError = onListenerError;
  }

  /** Makes `connectionId` the holder of `key`; a different previous holder hears `replaced`. */
  claim(key: string, connectionId: string, listener: FanoutListener): void {
    const previous = this.#holders.get(key);
    this.#holders.set(key, { connectionId, listener });
    if (previous !== undefined && previous.connectionId !== connectionId) {
      this.dispatch(previous.listener, { type: 'replaced', connectionId });
    }
  }

  /** Forgets the holder of `key` only while it is still `connectionId` (a stale detach keeps the newer one). */
  release(key: string, connectionId: string): void {
    if (this.#holders.get(key)?.connectionId === connectionId) this.#holders.delete(key);
  }

  get(key: string): Holder | undefined {
    return this.#holders.get(key);
  }

  [Symbol.iterator](): IterableIterator<[string, Holder]> {
    return this.#holders.entries();
  }

  get size(): number {
    return this.#holders.size;
  }

  clear(): void {
    this.#holders.clear();
  }

  /** A listener's failure belongs to its connection, never to the sender. */
  dispatch(listener: FanoutListener, signal: FanoutSignal): void {
    try {
      listener(signal);
    } catch (error) {
      this.#onListenerError(error);
    }
  }
}
