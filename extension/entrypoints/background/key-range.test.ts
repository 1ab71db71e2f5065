import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ListOptions } from '../../../shared/client/store.ts';
import { createMemoryStorage } from '../../../shared/client/store.ts';
import { type KeyBounds, listBounds } from './key-range.ts';

/** What an IndexedDB cursor over these bounds would return, done over a plain sorted array. */
function walk(
  keys: readonly string[],
  prefix: string,
  bounds: KeyBounds | null,
  limit?: number,
): string[] {
  if (bounds === null) return [];
  const inRange = (k: string) =>
    (bounds.lowerOpen ? k > bounds.lower : k >= bounds.lower) &&
    (bounds.upperOpen ? k < bounds.upper : k <= bounds.upper) &&
    k.startsWith(prefix);
  const sorted = [...new Set(keys)].filter(inRange).sort();
  if (bounds.direction === 'prev') sorted.reverse();
  return limit === undefined ? sorted : sorted.slice(0, limit);
}

// Keys from a small alphabet so prefixes and `after` values often collide with real keys.
const key = fc.string({ unit: fc.constantFrom('a', 'b', '/', '0', '1'), maxLength: 5 });

describe('listBounds', () => {
  it('matches the in-memory RecordStore for every prefix, after, limit and direction', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(key, { maxLength: 20 }),
        key,
        fc.option(key, { nil: undefined }),
        fc.option(fc.nat(6), { nil: undefined }),
        fc.boolean(),
        async (keys, prefix, after, limit, reverse) => {
          const store = createMemoryStorage().records;
          await store.write(
            keys.map((k) => ({ op: 'set' as const, key: k, value: new Uint8Array([1]) })),
          );
          const options: ListOptions = {
            ...(after === undefined ? {} : { after }),
            ...(limit === undefined ? {} : { limit }),
            reverse,
          };
          const expected = (await store.list(prefix, options)).map(([k]) => k);
          expect(walk(keys, prefix, listBounds(prefix, options), limit)).toEqual(expected);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('gives concrete bounds for the common cases', () => {
    expect(listBounds('msg/c1/')).toEqual({
      lower: 'msg/c1/',
      upper: 'msg/c1/\uffff',
      lowerOpen: false,
      upperOpen: false,
      direction: 'next',
    });
    expect(listBounds('msg/c1/', { reverse: true, after: 'msg/c1/0005' })).toEqual({
      lower: 'msg/c1/',
      upper: 'msg/c1/0005',
      lowerOpen: false,
      upperOpen: true,
      direction: 'prev',
    });
    expect(listBounds('b/', { after: 'c' })).toBeNull();
    expect(listBounds('b/', { reverse: true, after: 'a' })).toBeNull();
  });
});
