import { describe, expect, it } from 'vitest';
import { Batch } from '../store/batch.ts';
import { StampClock } from '../store/stamps.ts';
import { createMemoryStorage } from '../store/store.ts';
import {
  MAX_PARKED_PER_GROUP,
  MAX_PARKED_PER_SENDER,
  PARKED_MAX_AGE_MS,
  type Parked,
  park,
  parkedFor,
} from './parked.ts';

const groupA = new Uint8Array(16).fill(0xa1);
const groupB = new Uint8Array(16).fill(0xb2);
const GENUINE = '00000000-0000-4000-8000-0000000000aa';
const FLOODER = '00000000-0000-4000-8000-0000000000ff';
const sybil = (n: number) => `00000000-0000-4000-8000-0000000001${n.toString(16).padStart(2, '0')}`;

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

  it('at a cap, pushes out the oldest item of whoever holds the most, never a lone genuine one', async () => {
    const { records } = createMemoryStorage();
    const stamps = new StampClock(() => 0);
    const put = async (group: Uint8Array, item: Parked) => {
      const batch = new Batch(records);
      const kept = await park({ stamps, now: 0 }, batch, group, item);
      await batch.commit();
      return kept;
    };
    const genuine = { ...message(7), from: GENUINE };
    expect(await put(groupA, genuine)).toBe(true);
    // A flooder sends far more than its share, to one group and then to many.
    for (let n = 0; n < 3 * MAX_PARKED_PER_SENDER; n++) {
      expect(await put(groupA, { ...message(n % 250), from: FLOODER })).toBe(true);
    }
    const fromFlooder = async () =>
      (await parkedFor(new Batch(records), groupA, 0)).filter((p) => p.item.from === FLOODER);
    expect(await fromFlooder()).toHaveLength(MAX_PARKED_PER_SENDER);
    // Its newest are the ones kept.
    expect((await fromFlooder()).at(-1)?.item).toMatchObject({
      sentAt: 1000 + ((3 * MAX_PARKED_PER_SENDER - 1) % 250),
    });
    // Many senders at their share fill the per-group cap: the genuine item stays, the biggest holders shrink.
    const senders = Math.ceil(MAX_PARKED_PER_GROUP / MAX_PARKED_PER_SENDER) + 1;
    for (let s = 0; s < senders; s++) {
      for (let n = 0; n < MAX_PARKED_PER_SENDER; n++) {
        await put(groupA, { ...message(n), from: sybil(s) });
      }
    }
    const all = await parkedFor(new Batch(records), groupA, 0);
    expect(all.length).toBe(MAX_PARKED_PER_GROUP);
    expect(all.filter((p) => p.item.from === GENUINE)).toHaveLength(1);
  });

  it('drops what is older than the maximum age', async () => {
    const { records } = createMemoryStorage();
    const stamps = new StampClock(() => 0);
    const batch = new Batch(records);
    expect(await park({ stamps, now: 0 }, batch, groupA, message(1))).toBe(true);
    expect(await park({ stamps, now: 0 }, batch, groupB, message(2))).toBe(true);
    await batch.commit();
    const sweep = new Batch(records);
    expect(await parkedFor(sweep, groupA, PARKED_MAX_AGE_MS)).toEqual([]);
    await sweep.commit();
    expect(await records.list('gpark/')).toHaveLength(1); // only group B's item is left
  });
});
