import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { modelList } from '../testing/store-model.ts';
import { pageOf, SortedKeyIndex } from './sorted-keys.ts';

const keyArb = fc.string({ unit: fc.constantFrom('a', 'b', '/', '\uffff'), maxLength: 4 });
const optionsArb = fc.record(
  {
    after: keyArb,
    // Negative and fractional limits too: `list` has always cut like slice(0, limit).
    limit: fc.oneof(fc.integer({ min: -4, max: 6 }), fc.double({ min: -3, max: 5, noNaN: true })),
    reverse: fc.boolean(),
  },
  { requiredKeys: [] },
);

describe('pageOf', () => {
  it('returns what filtering, sorting and slicing the whole set returns', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(keyArb, { maxLength: 12 }),
        keyArb,
        optionsArb,
        (keys, prefix, options) => {
          const data = new Map(keys.map((k) => [k, new Uint8Array()] as const));
          const want = modelList(data, prefix, options).map(([k]) => k);
          expect(pageOf([...keys].sort(), (k) => k, prefix, options)).toEqual(want);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});

describe('SortedKeyIndex', () => {
  it('keeps the present keys in order through adds and removes, re-adds included', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), keyArb, fc.boolean()), { maxLength: 40 }),
        (steps) => {
          const index = new SortedKeyIndex();
          const present = new Set<string>();
          for (const [add, key, look] of steps) {
            if (add && !present.has(key)) {
              present.add(key);
              index.add(key);
            } else if (!add && present.has(key)) {
              present.delete(key);
              index.remove(key);
            }
            if (look) expect(index.page('')).toEqual([...present].sort());
          }
          expect(index.page('')).toEqual([...present].sort());
        },
      ),
    );
  });
});
