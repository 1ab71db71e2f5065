import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pageOf } from '../../../shared/client/store/sorted-keys.ts';
import type { RecordStore } from '../../../shared/client/store/store.ts';
import {
  firstMismatch,
  modelStepArb,
  walkAll,
} from '../../../shared/client/testing/store-model.ts';
import { type ListRow, SortedRowsCache } from './sorted-rows-cache.ts';

/**
 * The IndexedDB store's list path without IndexedDB: records in a Map under
 * "opaque" stored keys (the logical key reversed, so stored order is not
 * logical order), a write generation bumped after every write, the cache,
 * and the page taken from its rows as idb-store.ts takes it.
 */
function cachedStore() {
  const data = new Map<string, { readonly logical: string; readonly value: Uint8Array }>();
  const storedOf = (logical: string) => [...logical].reverse().join('');
  let generation = 0;
  let loads = 0;
  const cache = new SortedRowsCache(() => generation);
  const store: RecordStore = {
    async get(key) {
      return data.get(storedOf(key))?.value.slice();
    },
    async write(ops) {
      for (const o of ops) {
        if (o.op === 'set') data.set(storedOf(o.key), { logical: o.key, value: o.value.slice() });
        else data.delete(storedOf(o.key));
      }
      generation++;
    },
    async list(prefix, options = {}) {
      const limit = options.limit ?? Number.POSITIVE_INFINITY;
      if (limit <= 0) return [];
      const all = await cache.rows(prefix, async () => {
        loads++;
        const found: ListRow[] = [];
        for (const [stored, { logical }] of data)
          if (logical.startsWith(prefix)) found.push([logical, stored]);
        return found;
      });
      return pageOf(all, ([logical]) => logical, prefix, { ...options, limit }).map(
        ([logical, stored]) => [logical, (data.get(stored)?.value ?? new Uint8Array()).slice()],
      );
    },
  };
  return { store, loads: () => loads, bump: () => generation++ };
}

describe('IndexedDB list order kept between calls', () => {
  it('answers every list and paged walk like a re-sorted copy, across writes and deletes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(modelStepArb, { maxLength: 40 }), async (steps) => {
        expect(await firstMismatch(cachedStore().store, steps)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it('reads and sorts a prefix once for a whole paged walk, again after a write', async () => {
    const { store, loads } = cachedStore();
    const N = 2_000;
    await store.write(
      Array.from({ length: N }, (_, i) => ({
        op: 'set' as const,
        key: `msg/${String((i * 7919) % N).padStart(5, '0')}`,
        value: new Uint8Array([1]),
      })),
    );
    const walked = await walkAll(store, 'msg/', 200, false);
    expect(walked).toHaveLength(N);
    expect(loads()).toBe(1);
    await store.write([{ op: 'delete', key: 'msg/00000' }]);
    expect(await walkAll(store, 'msg/', 200, true)).toHaveLength(N - 1);
    expect(loads()).toBe(2);
  });

  it('does not keep rows read while a write finished', async () => {
    let generation = 0;
    const cache = new SortedRowsCache(() => generation);
    const stale = await cache.rows('p/', async () => {
      generation++; // a write ends while the keys are being read
      return [['p/1', 's1']];
    });
    expect(stale).toEqual([['p/1', 's1']]);
    const fresh = await cache.rows('p/', async () => [
      ['p/2', 's2'],
      ['p/1', 's1'],
    ]);
    expect(fresh).toEqual([
      ['p/1', 's1'],
      ['p/2', 's2'],
    ]);
  });

  it('keeps a bounded number of prefixes, and forgets them all on clear', async () => {
    const cache = new SortedRowsCache(() => 0);
    let loads = 0;
    const load = async (): Promise<ListRow[]> => {
      loads++;
      return [];
    };
    for (let i = 0; i < 20; i++) await cache.rows(`p${i}/`, load);
    await cache.rows('p19/', load);
    expect(loads).toBe(20);
    await cache.rows('p0/', load);
    expect(loads).toBe(21);
    cache.clear();
    await cache.rows('p19/', load);
    expect(loads).toBe(22);
  });
});
