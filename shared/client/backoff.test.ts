import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF } from './backoff.ts';

describe('backoff schedule', () => {
  it('doubles from 1 s up to the 60 s cap, half fixed and half jitter', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(n, 1))).toEqual([
      1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000,
    ]);
    expect([1, 2, 3].map((n) => backoffDelay(n, 0))).toEqual([500, 1000, 2000]);
  });

  it('stays within [d/2, d] for any jitter and attempt', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.double({ min: 0, max: 1 }), (n, f) => {
        const cap = Math.min(
          DEFAULT_BACKOFF.maxMs,
          DEFAULT_BACKOFF.baseMs * 2 ** Math.min(n - 1, 30),
        );
        const d = backoffDelay(n, f);
        return d >= cap / 2 && d <= cap;
      }),
    );
  });
});
