/**
 * What the client core needs from its platform, passed in rather than taken
 * from globals: the same code then runs in the MV3 service worker, Deno and
 * Node (and under a fake clock in tests).
 */
import type { Random } from '../crypto/random.ts';

/** A timer handle as the platform returns it (number in browsers, object in Node). */
export type TimerHandle = unknown;

export interface Timers {
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The subset of `fetch` the REST client uses. */
export type FetchLike = (url: string, init: FetchInit) => Promise<FetchResponse>;

export interface FetchInit {
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: string | Uint8Array<ArrayBuffer>;
  readonly signal?: AbortSignal;
}

export interface FetchResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** Clock and randomness every module may need. */
export interface CoreDeps {
  /** Milliseconds since the Unix epoch. */
  readonly now: () => number;
  readonly random: Random;
}

/** Uniform in [0, 1) from the injected random bytes (jitter, never secrets). */
export function randomFraction(random: Random): number {
  const bytes = random(4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, 4);
  return view.getUint32(0) / 0x1_0000_0000;
}
