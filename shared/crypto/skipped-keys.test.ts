import { describe, expect, it } from 'vitest';
import type { Bytes } from '../bytes.ts';
import {
  MAX_STORED_SKIPPED_KEYS,
  SKIPPED_KEY_MAX_AGE_MS,
  type SkippedKey,
  SkippedKeys,
} from './skipped-keys.ts';

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
    expect(store.get(chainA, 2)?.messageKey[0]).toBe(2);
    expect(store.get(chainB, 0)?.ratchetKey).toBe(chainB);
    expect(store.get(chainB, 1)).toBeUndefined();
  });

  it('is immutable: every change returns a new store', () => {
    const a = SkippedKeys.EMPTY.withAdded(keys(chainA, 0, 3));
    const b = a.without(chainA, 1);
    const c = a.withAdded(keys(chainB, 0, 1));
    expect([a.size, b.size, c.size]).toEqual([3, 2, 4]);
    expect(a.get(chainA, 1)).toBeDefined();
    expect(b.get(chainA, 1)).toBeUndefined();
    expect(a.without(chainA, 9)).toBe(a);
    expect(a.withAdded([])).toBe(a);
    expect(SkippedKeys.EMPTY.size).toBe(0);
  });

  it('evicts the oldest beyond the limit', () => {
    const store = SkippedKeys.EMPTY.withAdded(keys(chainA, 0, MAX_STORED_SKIPPED_KEYS)).withAdded(
      keys(chainB, 0, 5),
    );
    expect(store.size).toBe(MAX_STORED_SKIPPED_KEYS);
    for (let i = 0; i < 5; i++) expect(store.get(chainA, i)).toBeUndefined();
    expect(store.get(chainA, 5)).toBeDefined();
    expect(store.get(chainB, 4)).toBeDefined();
    expect(SkippedKeys.of(keys(chainA, 0, 10), 4).size).toBe(4);
  });

  it('expires keys stored 7 days ago or more, keeps younger ones', () => {
    const store = SkippedKeys.EMPTY.withAdded(keys(chainA, 0, 2, 1000)).withAdded(
      keys(chainB, 0, 2, 5000),
    );
    expect(store.withoutExpired(1000 + SKIPPED_KEY_MAX_AGE_MS - 1)).toBe(store);
    const expired = store.withoutExpired(1000 + SKIPPED_KEY_MAX_AGE_MS);
    expect(expired.size).toBe(2);
    expect(expired.get(chainA, 0)).toBeUndefined();
    expect(expired.get(chainB, 1)).toBeDefined();
    expect(store.withoutExpired(5000 + SKIPPED_KEY_MAX_AGE_MS).size).toBe(0);
  });
});
