/**
 * Peak JS heap while something runs. `heapUsed` is sampled every 10 ms; a
 * full collection first (when it can be had) makes the starting point the
 * live heap rather than whatever garbage the previous step left.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const MiB = 1024 * 1024;

let gc: (() => void) | undefined;

/** A full GC. Node hides `gc` unless started with --expose-gc; the flag can still be set at run time. */
export function collectGarbage(): void {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

export interface HeapPeak {
  /** Live heap after a full GC, just before the run (MiB). */
  readonly startMiB: number;
  /** Highest `heapUsed` seen during the run (MiB). */
  readonly peakMiB: number;
}

/** Runs `fn` and reports the heap it started from and its peak. */
export async function withHeapPeak<T>(fn: () => Promise<T>): Promise<{ value: T; heap: HeapPeak }> {
  collectGarbage();
  const start = process.memoryUsage().heapUsed;
  let peak = start;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  };
  const timer = setInterval(sample, 10);
  try {
    const value = await fn();
    sample();
    return { value, heap: { startMiB: start / MiB, peakMiB: peak / MiB } };
  } finally {
    clearInterval(timer);
  }
}
