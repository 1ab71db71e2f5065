import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF, recentlyReachable, retryDelay } from './backoff.ts';

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

  it('retries a relay that was just reachable within a few seconds, however many attempts failed', () => {
    // The schedule a relay restart used to meet: 1, 2, 4, 8, 16, 32 s (cumulative 63 s).
    const delays = [1, 2, 3, 4, 5, 6, 7, 20, 40].map((attempt) =>
      retryDelay({ attempt, fraction: 1, downForMs: 10_000 }),
    );
    expect(delays).toEqual([1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000, 4000]);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: DEFAULT_BACKOFF.recentWindowMs - 1 }),
        (attempt, fraction, downForMs) => {
          const d = retryDelay({ attempt, fraction, downForMs });
          return d <= DEFAULT_BACKOFF.recentCapMs && d >= 500;
        },
      ),
    );
  });

  it('jitters the capped delay so a restarted relay is not met by every client at once', () => {
    const at = (fraction: number) => retryDelay({ attempt: 9, fraction, downForMs: 1_000 });
    expect(at(0)).toBe(DEFAULT_BACKOFF.recentCapMs / 2);
    expect(at(0.5)).toBe((DEFAULT_BACKOFF.recentCapMs * 3) / 4);
    expect(at(1)).toBe(DEFAULT_BACKOFF.recentCapMs);
  });

  it('keeps the long schedule for a relay unreachable longer than the window, or never reached', () => {
    const window = DEFAULT_BACKOFF.recentWindowMs;
    expect(retryDelay({ attempt: 7, fraction: 1, downForMs: window })).toBe(60_000);
    expect(retryDelay({ attempt: 7, fraction: 1 })).toBe(60_000);
    expect(recentlyReachable(undefined)).toBe(false);
    expect(recentlyReachable(-5)).toBe(false);
    expect(recentlyReachable(window - 1)).toBe(true);
  });

  it('treats nonsense input as the first attempt with no jitter', () => {
    expect(retryDelay({ attempt: Number.NaN, fraction: Number.NaN })).toBe(500);
    expect(retryDelay({ attempt: -3, fraction: 7 })).toBe(1000);
  });
});
