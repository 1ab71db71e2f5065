import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Bytes } from '../bytes.ts';
import { MAX_STORED_SKIPPED_KEYS, SKIPPED_KEY_MAX_AGE_MS } from './limits.ts';
import { type SkippedKey, SkippedKeys } from './skipped-keys.ts';

const chainA: Bytes = new Uint8Array(32).fill(0xa);
const chainB: Bytes = new Uint8Array(32).fill(0xb);

function keys(ratchetKey: Bytes, from: number, to: number, storedAt = 0): SkippedKey[] {
  const out: SkippedKey[] = [];
  for (let i = from; i < to; i++)
    out.push({ ratchetKey, index: i, messageKey: new Uint8Array(32).fill(i & 0xff), storedAt });
  return out;
}

describe('SkippedKeys', () => {
  it('finds keys by (ratchet key, index) and never mixes chains', () => {
    const store = SkippedKeys.EMPTY.withAdded([...keys(chainA, 0, 3), ...keys(chainB, 0, 1)]);
    expect(store.size).toBe(4);
    expect(store.get({ ratchetKey: chainA, index: 2 })?.messageKey[0]).toBe(2);
    expect(store.get({ ratchetKey: chainB, index: 0 })?.ratchetKey).toBe(chainB);
    expect(store.get({ ratchetKey: chainB, index: 1 })).toBeUndefined();
  });

  it('is immutable: every change returns a new store', () => {
    const a = SkippedKeys.EMPTY.withAdded(keys(chainA, 0, 3));
    const b = a.without({ ratchetKey: chainA, index: 1 });
    const c = a.withAdded(keys(chainB, 0, 1));
    expect([a.size, b.size, c.size]).toEqual([3, 2, 4]);
    expect(a.get({ ratchetKey: chainA, index: 1 })).toBeDefined();
    expect(b.get({ ratchetKey: chainA, index: 1 })).toBeUndefined();
    expect(a.without({ ratchetKey: chainA, index: 9 })).toBe(a);
    expect(a.withAdded([])).toBe(a);
    expect(SkippedKeys.EMPTY.size).toBe(0);
  });

  it('evicts the oldest beyond the limit', () => {
    const store = SkippedKeys.EMPTY.withAdded(keys(chainA, 0, MAX_STORED_SKIPPED_KEYS)).withAdded(
      keys(chainB, 0, 5),
    );
    expect(store.size).toBe(MAX_STORED_SKIPPED_KEYS);
    for (let i = 0; i < 5; i++) expect(store.get({ ratchetKey: chainA, index: i })).toBeUndefined();
    expect(store.get({ ratchetKey: chainA, index: 5 })).toBeDefined();
    expect(store.get({ ratchetKey: chainB, index: 4 })).toBeDefined();
    expect(SkippedKeys.of(keys(chainA, 0, 10), 4).size).toBe(4);
  });

  it('expires keys stored 7 days ago or more, keeps younger ones', () => {
    const store = SkippedKeys.EMPTY.withAdded(keys(chainA, 0, 2, 1000)).withAdded(
      keys(chainB, 0, 2, 5000),
    );
    expect(store.withoutExpired(1000 + SKIPPED_KEY_MAX_AGE_MS - 1)).toBe(store);
    const expired = store.withoutExpired(1000 + SKIPPED_KEY_MAX_AGE_MS);
    expect(expired.size).toBe(2);
    expect(expired.get({ ratchetKey: chainA, index: 0 })).toBeUndefined();
    expect(expired.get({ ratchetKey: chainB, index: 1 })).toBeDefined();
    expect(store.withoutExpired(5000 + SKIPPED_KEY_MAX_AGE_MS).size).toBe(0);
  });
});

describe('SkippedKeys against a plain ordered map (property)', () => {
  // The store shares its map between versions and records removals beside it;
  // a Map with delete/set is the reference for what every version contains.
  type Op =
    | { readonly op: 'add'; readonly chain: 0 | 1; readonly from: number; readonly count: number }
    | { readonly op: 'remove'; readonly chain: 0 | 1; readonly from: number; readonly run: number }
    | { readonly op: 'expire'; readonly age: number };
  const chains = [chainA, chainB] as const;
  const chainArb = fc.constantFrom(0 as const, 1 as const);
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({
      op: fc.constant('add' as const),
      chain: chainArb,
      from: fc.nat(60),
      count: fc.integer({ min: 0, max: 40 }),
    }),
    // Several late messages in a row: long runs reach the map rebuild.
    fc.record({
      op: fc.constant('remove' as const),
      chain: chainArb,
      from: fc.nat(72),
      run: fc.integer({ min: 1, max: 40 }),
    }),
    // Expires what was added more than `age` operations ago, keeps the rest.
    fc.record({ op: fc.constant('expire' as const), age: fc.nat(6) }),
  );
  const slotOf = (chain: Uint8Array, index: number): string => `${chain[0]}:${index}`;
  const sameOrder = (a: readonly SkippedKey[], b: readonly SkippedKey[]): boolean =>
    a.length === b.length && a.every((k, i) => k === b[i]);

  it('holds exactly the keys, in the order, that a Map with delete/set holds; old versions never change', () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { minLength: 5, maxLength: 40, size: 'max' }),
        fc.integer({ min: 5, max: 120 }),
        (ops, limit) => {
          let store = SkippedKeys.EMPTY;
          let model = new Map<string, SkippedKey>();
          const versions: { store: SkippedKeys; keys: SkippedKey[] }[] = [];
          for (const [clock, op] of ops.entries()) {
            model = new Map(model);
            if (op.op === 'add') {
              const added = keys(chains[op.chain], op.from, op.from + op.count, clock);
              store = store.withAdded(added, limit);
              for (const k of added) {
                model.delete(slotOf(k.ratchetKey, k.index));
                model.set(slotOf(k.ratchetKey, k.index), k);
              }
              for (const slot of [...model.keys()].slice(0, Math.max(0, model.size - limit)))
                model.delete(slot);
            } else if (op.op === 'remove') {
              for (let i = op.from; i < op.from + op.run; i++) {
                store = store.without({ ratchetKey: chains[op.chain], index: i });
                model.delete(slotOf(chains[op.chain], i));
              }
            } else {
              const at = clock - 1 - op.age;
              store = store.withoutExpired(at + SKIPPED_KEY_MAX_AGE_MS);
              for (const [slot, k] of model) if (k.storedAt <= at) model.delete(slot);
            }
            const expected = [...model.values()];
            expect(sameOrder([...store.values()], expected)).toBe(true);
            expect(store.size).toBe(model.size);
            for (const chain of chains)
              for (let i = 0; i < 112; i += 3)
                expect(store.get({ ratchetKey: chain, index: i })).toBe(
                  model.get(slotOf(chain, i)),
                );
            versions.push({ store, keys: expected });
          }
          for (const v of versions) expect(sameOrder([...v.store.values()], v.keys)).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });
});
