import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { firstMismatch, modelStepArb, walkAll } from '../testing/store-model.ts';
import { createMemoryStorage } from './store.ts';

const b = (n: number) => new Uint8Array([n]);

describe('memory record store', () => {
  it('lists a prefix in order, with after/limit/reverse', async () => {
    const { records } = createMemoryStorage();
    await records.write([
      { op: 'set', key: 'm/a/3', value: b(3) },
      { op: 'set', key: 'm/a/1', value: b(1) },
      { op: 'set', key: 'm/a/2', value: b(2) },
      { op: 'set', key: 'm/b/1', value: b(9) },
    ]);
    const keysOf = (rows: Array<readonly [string, Uint8Array]>) => rows.map(([k]) => k);
    expect(keysOf(await records.list('m/a/'))).toEqual(['m/a/1', 'm/a/2', 'm/a/3']);
    expect(keysOf(await records.list('m/a/', { after: 'm/a/1', limit: 1 }))).toEqual(['m/a/2']);
    expect(keysOf(await records.list('m/a/', { reverse: true, limit: 2 }))).toEqual([
      'm/a/3',
      'm/a/2',
    ]);
    expect(keysOf(await records.list('m/a/', { reverse: true, after: 'm/a/2' }))).toEqual([
      'm/a/1',
    ]);
  });

  it('returns copies, so callers cannot mutate stored bytes', async () => {
    const { records } = createMemoryStorage();
    const v = b(1);
    await records.write([{ op: 'set', key: 'k', value: v }]);
    v[0] = 7;
    const got = await records.get('k');
    expect(got).toEqual(b(1));
    if (got) got[0] = 8;
    expect(await records.get('k')).toEqual(b(1));
  });

  it('deletes', async () => {
    const { records } = createMemoryStorage();
    await records.write([{ op: 'set', key: 'k', value: b(1) }]);
    await records.write([{ op: 'delete', key: 'k' }]);
    expect(await records.get('k')).toBeUndefined();
  });
});

describe('memory record store against a naive model', () => {
  it('answers every list and paged walk like a re-sorted copy, across writes and deletes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(modelStepArb, { maxLength: 40 }), async (steps) => {
        expect(await firstMismatch(createMemoryStorage().records, steps)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});

describe('memory record store paged walk cost', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** Elements handed to Array.prototype.sort while `run` runs (a spy, no timing). */
  async function sortedElementsDuring(run: () => Promise<unknown>): Promise<number> {
    const sort = vi.spyOn(Array.prototype, 'sort');
    await run();
    let total = 0;
    for (const sorted of sort.mock.contexts) total += (sorted as unknown[]).length;
    sort.mockRestore();
    return total;
  }

  const N = 5_000;
  const PAGE = 200;
  const keyAt = (i: number) => `msg/c/${String(i).padStart(6, '0')}`;

  it('sorts each key about once over a whole walk, not once per page', async () => {
    const { records } = createMemoryStorage();
    // Written in a shuffled order, so the order really has to be made.
    const order = Array.from({ length: N }, (_, i) => (i * 7919) % N);
    await records.write(order.map((i) => ({ op: 'set' as const, key: keyAt(i), value: b(1) })));
    let walked: Array<readonly [string, Uint8Array]> = [];
    const sorted = await sortedElementsDuring(async () => {
      walked = await walkAll(records, 'msg/', PAGE, false);
    });
    expect(walked.map(([k]) => k)).toEqual(Array.from({ length: N }, (_, i) => keyAt(i)));
    // Before: every one of the N / PAGE pages sorted all N keys (N² / PAGE = 125,000).
    expect(sorted).toBeLessThanOrEqual(N);
  });

  it('sorts only the new keys when writes land between the pages', async () => {
    const { records } = createMemoryStorage();
    await records.write(
      Array.from({ length: N }, (_, i) => ({ op: 'set' as const, key: keyAt(2 * i), value: b(1) })),
    );
    await records.list('msg/', { limit: 1 });
    let pages = 0;
    const sorted = await sortedElementsDuring(async () => {
      let after: string | undefined;
      for (;;) {
        const rows = await records.list('msg/', { limit: PAGE, ...(after ? { after } : {}) });
        pages++;
        // A message arrives (and one goes) while the walk runs.
        await records.write([
          { op: 'set', key: keyAt(2 * pages + 1), value: b(2) },
          { op: 'delete', key: keyAt(2 * (N - pages)) },
        ]);
        if (rows.length < PAGE) break;
        after = rows[rows.length - 1]?.[0];
      }
    });
    expect(pages).toBeGreaterThan(10);
    expect(sorted).toBeLessThanOrEqual(pages);
  });
});
