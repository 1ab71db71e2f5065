import { describe, expect, it } from 'vitest';
import { Batch } from '../batch.ts';
import { StampClock } from '../stamps.ts';
import { createMemoryStorage } from '../store.ts';
import { MAX_PARKED_PER_GROUP, PARKED_MAX_AGE_MS, type Parked, park, parkedFor } from './parked.ts';

const groupA = new Uint8Array(16).fill(0xa1);
const groupB = new Uint8Array(16).fill(0xb2);

function message(n: number): Parked {
  return {
    kind: 'message',
    id: new Uint8Array(16).fill(n),
    from: '00000000-0000-4000-8000-000000000001',
    fromDevice: 1,
    body: new Uint8Array([1, 3, n]),
    sentAt: 1000 + n,
  };
}

describe('parked group traffic', () => {
  it('keeps items per group in arrival order, and a take removes one for good', async () => {
    const { records } = createMemoryStorage();
    const stamps = new StampClock(() => 5);
    for (const [group, n] of [
      [groupA, 1],
      [groupB, 2],
      [groupA, 3],
    ] as const) {
      const batch = new Batch(records);
      expect(await park({ stamps, now: 5 }, batch, group, message(n))).toBe(true);
      await batch.commit();
    }
    const batch = new Batch(records);
    const parked = await parkedFor(batch, groupA, 6);
    expect(parked.map((p) => (p.item.kind === 'message' ? p.item.sentAt : 0))).toEqual([
      1001, 1003,
    ]);
    parked[0]?.take();
    await batch.commit();
    const left = await parkedFor(new Batch(records), groupA, 6);
    expect(left.map((p) => (p.item.kind === 'message' ? p.item.body[2] : 0))).toEqual([3]);
  });

  it('refuses more than the per-group cap and drops what is older than the maximum age', async () => {
    const { records } = createMemoryStorage();
    const stamps = new StampClock(() => 0);
    for (let n = 0; n < MAX_PARKED_PER_GROUP; n++) {
      const batch = new Batch(records);
      expect(await park({ stamps, now: 0 }, batch, groupA, message(n % 250))).toBe(true);
      await batch.commit();
    }
    const full = new Batch(records);
    expect(await park({ stamps, now: 0 }, full, groupA, message(1))).toBe(false);
    expect(await park({ stamps, now: 0 }, full, groupB, message(1))).toBe(true); // other groups
    await full.commit();
    const sweep = new Batch(records);
    expect(await parkedFor(sweep, groupA, PARKED_MAX_AGE_MS)).toEqual([]);
    await sweep.commit();
    expect(await records.list('gpark/')).toHaveLength(1); // only group B's item is left
  });
});
