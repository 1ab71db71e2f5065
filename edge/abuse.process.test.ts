/**
 * Abuse limits against the REAL relay (issue 11: items 3, 5, 6, 10, 11): a
 * Deno process on a free port with its own database, driven over real HTTP
 * and WebSockets. Every scenario is bounded in count and time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RelayProcess } from './testing/relay-process.ts';

const running: RelayProcess[] = [];

async function start(env: Record<string, string>): Promise<RelayProcess> {
  const relay = await RelayProcess.start({ env });
  running.push(relay);
  return relay;
}

afterEach(async () => {
  for (const relay of running.splice(0)) await relay.dispose();
});

describe('relay process: client address behind trusted proxies (TRUST_PROXY)', () => {
  it('limits by the address the trusted proxy appended, not by what the client wrote to its left', async () => {
    const relay = await start({ TRUST_PROXY: 'true', RATE_LIMIT_HTTP_PER_IP: '3/60' });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      // The client sends "X-Forwarded-For: 198.51.100.<i>"; nginx's $proxy_add_x_forwarded_for
      // appends the real peer, so the relay sees "198.51.100.<i>, 203.0.113.7".
      const res = await relay.http('/v1/handles/nobody', {
        headers: { 'x-forwarded-for': `198.51.100.${i}, 203.0.113.7` },
      });
      await res.body?.cancel();
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 3).every((s) => s !== 429)).toBe(true);
    expect(statuses.slice(3)).toEqual([429, 429, 429]);

    // Another real client (another address appended by the proxy) has its own budget.
    const other = await relay.http('/v1/handles/nobody', {
      headers: { 'x-forwarded-for': '203.0.113.8' },
    });
    await other.body?.cancel();
    expect(other.status).not.toBe(429);
  });

  it('with two proxies takes the second entry from the right', async () => {
    const relay = await start({ TRUST_PROXY: '2', RATE_LIMIT_HTTP_PER_IP: '2/60' });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await relay.http('/v1/handles/nobody', {
        headers: { 'x-forwarded-for': `10.9.9.${i}, 203.0.113.7, 192.0.2.1` },
      });
      await res.body?.cancel();
      statuses.push(res.status);
    }
    expect(statuses.slice(2)).toEqual([429, 429]);
    // A different client behind the same two proxies is a different address.
    const other = await relay.http('/v1/handles/nobody', {
      headers: { 'x-forwarded-for': '203.0.113.9, 192.0.2.1' },
    });
    await other.body?.cancel();
    expect(other.status).not.toBe(429);
  });
});

describe('relay process: shared fan-out needs a shared TOKEN_SECRET', () => {
  it('refuses to start with REDIS_URL and no TOKEN_SECRET, naming the variable', async () => {
    const failure = await RelayProcess.start({
      env: { REDIS_URL: 'redis://127.0.0.1:1' },
      startTimeoutMs: 20_000,
    }).then(
      (relay) => {
        running.push(relay);
        return undefined;
      },
      (error: unknown) => String(error),
    );
    expect(failure).toMatch(/relay exited during start/);
    expect(failure).toMatch(/TOKEN_SECRET/);
  });
});
