import { describe, expect, it } from 'vitest';
import { errorOf } from '../../../shared/testing/errors.ts';
import { probeRelay } from './relay-probe.ts';

function deps(fetchImpl: typeof fetch, permitted = true) {
  let t = 100;
  return { fetch: fetchImpl, hasPermission: async () => permitted, now: () => (t += 12) };
}

describe('probeRelay', () => {
  it('asks /healthz and reports the latency', async () => {
    const asked: string[] = [];
    const ok = deps(async (input) => {
      asked.push(String(input));
      return new Response('ok');
    });
    expect(await probeRelay('http://127.0.0.1:8787', ok)).toEqual({
      relayUrl: 'http://127.0.0.1:8787',
      latencyMs: 12,
    });
    expect(asked).toEqual(['http://127.0.0.1:8787/healthz']);
  });

  it('says unreachable for network errors and error answers', async () => {
    const down = deps(async () => {
      throw new TypeError('Failed to fetch');
    });
    expect((await errorOf(() => probeRelay('http://127.0.0.1:9', down))).code).toBe(
      'RELAY_UNREACHABLE',
    );
    const broken = deps(async () => new Response('no', { status: 503 }));
    expect((await errorOf(() => probeRelay('http://127.0.0.1:8787', broken))).code).toBe(
      'RELAY_UNREACHABLE',
    );
  });

  it('needs the host permission for an https relay', async () => {
    const never = deps(async () => {
      throw new Error('must not fetch');
    }, false);
    expect((await errorOf(() => probeRelay('https://relay.example', never))).code).toBe(
      'RELAY_PERMISSION_DENIED',
    );
  });
});
