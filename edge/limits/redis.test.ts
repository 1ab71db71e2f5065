import { type ChildProcess, spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../testing/relay-process.ts';
import type { RateCharge } from './rate-limiter.ts';
import { fromIoredis, RedisRateLimiter, RedisReplayGuard, type RedisScripting } from './redis.ts';

let server: ChildProcess;
let client: Redis;

beforeAll(async () => {
  const port = await freePort();
  server = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => {}); // refused connections while redis-server starts
  for (let i = 0; i < 50; i++) {
    try {
      await client.connect();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
});

afterAll(async () => {
  client.disconnect();
  server.kill('SIGTERM');
});

describe('RedisRateLimiter (real redis-server)', () => {
  it('shares one bucket between limiter instances (as between relay instances) and reports Retry-After', async () => {
    const options = { limit: 3, windowSeconds: 30, prefix: `test:${Date.now()}` };
    const one = new RedisRateLimiter(fromIoredis(client), options);
    const two = new RedisRateLimiter(fromIoredis(client), options);
    const decisions = [
      await one.consume('ip'),
      await two.consume('ip'),
      await one.consume('ip'),
      await two.consume('ip'),
    ];
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
    expect(decisions[3]?.retryAfterSeconds).toBe(10);
    expect((await one.consume('other')).allowed).toBe(true);
    expect((await one.consume('big', 5)).allowed).toBe(false);
  });

  it('charges several buckets in one command, in order, refusing each at exactly its limit', async () => {
    let evals = 0;
    const redis: RedisScripting = {
      eval: (script, keys, args) => {
        evals++;
        return fromIoredis(client).eval(script, keys, args);
      },
    };
    const prefix = `chain:${Date.now()}`;
    // Hour-long windows: nothing refills while the test runs.
    const frames = new RedisRateLimiter(redis, {
      limit: 4,
      windowSeconds: 3600,
      prefix: `${prefix}:f`,
    });
    const copies = new RedisRateLimiter(redis, {
      limit: 7,
      windowSeconds: 3600,
      prefix: `${prefix}:c`,
    });
    const send = (n: number): RateCharge[] => [
      { limiter: frames, key: 'd' },
      { limiter: copies, key: 'd', cost: n },
    ];
    const outcomes = [];
    for (const n of [3, 3, 2, 1, 1]) {
      const d = await RedisRateLimiter.chargeInOrder(send(n));
      outcomes.push(d.allowed ? 'ok' : `refused@${d.refusedAt}`);
    }
    // 3 + 3 copies fit in 7, 2 more do not (its frame is spent), 1 more fits exactly; then the
    // five frames ran out at 4: refused at the first charge, the copies untouched.
    expect(outcomes).toEqual(['ok', 'ok', 'refused@1', 'ok', 'refused@0']);
    expect(evals).toBe(5);
    // Nothing left in either bucket, and the copies bucket lost nothing to the refusals.
    expect((await copies.consume('d', 1)).allowed).toBe(false);
    expect((await frames.consume('d')).allowed).toBe(false);
    const other = await RedisRateLimiter.chargeInOrder(send(7));
    expect(other).toMatchObject({ allowed: false, refusedAt: 0 });
  });

  it('answers a known refusal from memory until the bucket can have refilled, then asks again', async () => {
    let evals = 0;
    const redis: RedisScripting = {
      eval: (script, keys, args) => {
        evals++;
        return fromIoredis(client).eval(script, keys, args);
      },
    };
    const prefix = `refusal:${Date.now()}`;
    const one = new RedisRateLimiter(redis, { limit: 2, windowSeconds: 1, prefix });
    const two = new RedisRateLimiter(redis, { limit: 2, windowSeconds: 1, prefix });
    expect((await one.consume('k')).allowed).toBe(true);
    expect((await two.consume('k')).allowed).toBe(true);
    expect((await one.consume('k')).allowed).toBe(false);
    expect(evals).toBe(3);
    // Refused again without a command, for this cost or more; a smaller one may still fit.
    for (let i = 0; i < 20; i++) expect((await one.consume('k')).allowed).toBe(false);
    expect((await one.consume('k', 2)).allowed).toBe(false);
    expect(evals).toBe(3);
    // A known refusal in second place: the first charge still goes to the store.
    const first = new RedisRateLimiter(redis, {
      limit: 5,
      windowSeconds: 3600,
      prefix: `${prefix}:a`,
    });
    const chained = await RedisRateLimiter.chargeInOrder([
      { limiter: first, key: 'k' },
      { limiter: one, key: 'k' },
    ]);
    expect(chained).toMatchObject({ allowed: false, refusedAt: 1 });
    expect(evals).toBe(4);
    // Half a window refills one token: the store is asked again and allows it.
    await new Promise((r) => setTimeout(r, 520));
    expect((await one.consume('k')).allowed).toBe(true);
    expect(evals).toBe(5);
  });

  it('lets only the first claim of a request signature through, across guard instances', async () => {
    const key = `sig-${Date.now()}`;
    const one = new RedisReplayGuard(fromIoredis(client), 60_000);
    const two = new RedisReplayGuard(fromIoredis(client), 60_000);
    expect(await one.claim(key)).toBe(true);
    expect(await two.claim(key)).toBe(false);
    expect(await two.claim(`${key}-other`)).toBe(true);
  });

  it('falls back to a per-instance bucket, and says so, when the store is unreachable', async () => {
    const errors: unknown[] = [];
    const broken = new RedisRateLimiter(
      { eval: () => Promise.reject(new Error('down')) },
      {
        limit: 2,
        windowSeconds: 60,
        prefix: 'x',
        onError: (e) => errors.push(e),
        now: () => 1000,
      },
    );
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push((await broken.consume('k')).allowed);
    expect(decisions).toEqual([true, true, false, false]);
    expect(errors).toHaveLength(4);
  });

  it('refuses a replay to the same instance while the store is unreachable', async () => {
    const errors: unknown[] = [];
    const guard = new RedisReplayGuard(
      { eval: () => Promise.reject(new Error('down')) },
      60_000,
      (e) => errors.push(e),
    );
    expect(await guard.claim('sig', 1000)).toBe(true);
    expect(await guard.claim('sig', 2000)).toBe(false);
    expect(errors).toHaveLength(1);
  });
});
