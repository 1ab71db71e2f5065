import { describe, expect, it } from 'vitest';
import { chargeEach, MemoryRateLimiter } from './rate-limiter.ts';

describe('MemoryRateLimiter', () => {
  it('allows a burst up to the limit, then denies with a Retry-After until tokens refill', () => {
    let now = 0;
    const limiter = new MemoryRateLimiter({ limit: 3, windowSeconds: 30 }, () => now);
    expect([1, 2, 3].map(() => limiter.consume('ip').allowed)).toEqual([true, true, true]);
    const denied = limiter.consume('ip');
    expect(denied).toEqual({ allowed: false, retryAfterSeconds: 10, remaining: 0 });
    expect(limiter.consume('other').allowed).toBe(true);
    now += 10_000;
    expect(limiter.consume('ip').allowed).toBe(true);
    expect(limiter.consume('ip').allowed).toBe(false);
  });

  it('never holds more than maxKeys buckets', () => {
    const limiter = new MemoryRateLimiter({ limit: 1, windowSeconds: 1, maxKeys: 10 }, () => 0);
    for (let i = 0; i < 100; i++) limiter.consume(`k${i}`);
    expect(limiter.size).toBeLessThanOrEqual(10);
  });

  it('rejects nonsensical limits', () => {
    expect(() => new MemoryRateLimiter({ limit: 0, windowSeconds: 1 }, () => 0)).toThrow(
      RangeError,
    );
  });

  it('charges in order and stops at the first refusal, leaving the rest untouched (chargeEach)', () => {
    const frames = new MemoryRateLimiter({ limit: 3, windowSeconds: 3600 }, () => 0);
    const copies = new MemoryRateLimiter({ limit: 5, windowSeconds: 3600 }, () => 0);
    const send = (n: number) => [
      { limiter: frames, key: 'd' },
      { limiter: copies, key: 'd', cost: n },
    ];
    expect(chargeEach(send(4))).toMatchObject({ allowed: true, refusedAt: -1 });
    expect(chargeEach(send(2))).toMatchObject({ allowed: false, refusedAt: 1 });
    expect(chargeEach(send(1))).toMatchObject({ allowed: true });
    expect(chargeEach(send(1))).toMatchObject({ allowed: false, refusedAt: 0 });
    expect(copies.consume('d').allowed).toBe(false); // exactly 5 copies were taken
  });
});
