import { type ChildProcess, spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../testing/relay-process.ts';
import { fromIoredis, RedisRateLimiter, RedisReplayGuard } from './redis.ts';

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
