import { describe, expect, it } from 'vitest';
import { S3BlobStore, S3StoreError } from './s3-store.ts';

const SETTINGS = {
  endpoint: 'http://store.test',
  bucket: 'b',
  region: 'auto',
  accessKeyId: 'AKID',
  secretAccessKey: 'secret-never-in-errors',
  prefix: 'p/',
  presignSeconds: 60,
};

/** A fetch that answers from a script of statuses (or throws for 'network'), recording requests. */
function scripted(statuses: (number | 'network')[]) {
  const seen: string[] = [];
  const sleeps: number[] = [];
  const fetchImpl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    seen.push(`${init?.method} ${String(input)}`);
    const next = statuses.shift() ?? 204;
    if (next === 'network') throw new TypeError('connection reset');
    return new Response(next === 204 ? null : 'x', { status: next });
  }) as typeof fetch;
  const store = new S3BlobStore(SETTINGS, fetchImpl, async (ms) => {
    sleeps.push(ms);
  });
  return { store, seen, sleeps };
}

describe('S3 store requests from the relay', () => {
  it('retries a delete after 500 and a network error, with growing backoff', async () => {
    const { store, seen, sleeps } = scripted([500, 'network', 204]);
    await store.delete(['id1'], () => 1);
    expect(seen).toHaveLength(3);
    expect(seen.every((r) => r.startsWith('DELETE http://store.test/b/p/id1/0'))).toBe(true);
    expect(sleeps).toEqual([50, 100]);
  });

  it('gives up after four attempts with a status-only error', async () => {
    const { store, seen } = scripted([503, 503, 503, 503, 204]);
    const failure = await store.delete(['id1'], () => 1).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(S3StoreError);
    expect(String(failure)).toContain('HTTP 503');
    expect(String(failure)).not.toContain('secret');
    expect(String(failure)).not.toContain('AKID');
    expect(seen).toHaveLength(4);
  });

  it('does not retry a refusal (403), and a 404 on delete is success', async () => {
    const refused = scripted([403, 204]);
    await expect(refused.store.delete(['id1'], () => 1)).rejects.toThrow('HTTP 403');
    expect(refused.seen).toHaveLength(1);
    const missing = scripted([404]);
    await missing.store.delete(['id1'], () => 1);
    expect(missing.seen).toHaveLength(1);
  });
});
