import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { paddedSize } from './padding.ts';

describe('attachment padding buckets (Signal logPadSize)', () => {
  it('matches Signal at known sizes', () => {
    expect(paddedSize(0)).toBe(541);
    expect(paddedSize(1)).toBe(541);
    expect(paddedSize(541)).toBe(541);
    expect(paddedSize(542)).toBe(568);
    expect(paddedSize(1_000_000)).toBe(1_041_743);
    expect(paddedSize(100 * 1024 * 1024)).toBe(107_335_738);
  });

  it('never shorter than the file, at most 5 % longer above the minimum, and a fixed point', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), (n) => {
        const p = paddedSize(n);
        expect(p).toBeGreaterThanOrEqual(n);
        if (n > 541) expect(p).toBeLessThanOrEqual(Math.ceil(n * 1.05));
        expect(paddedSize(p)).toBe(p);
      }),
      { numRuns: 2000 },
    );
  });

  it('is monotonic, so sizes fall into buckets', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 30 }), fc.nat(1_000_000), (n, d) => {
        expect(paddedSize(n + d)).toBeGreaterThanOrEqual(paddedSize(n));
      }),
    );
  });

  it('has about 250 buckets between 541 B and 100 MiB', () => {
    const buckets = new Set<number>();
    for (let n = 541; n <= 100 * 1024 * 1024; n = paddedSize(n) + 1) buckets.add(paddedSize(n));
    expect(buckets.size).toBeGreaterThan(240);
    expect(buckets.size).toBeLessThan(260);
  });
});
