import { describe, expect, it } from 'vitest';
import { Batch } from '../store/batch.ts';
import { createMemoryStorage } from '../store/store.ts';
import { clearJoined, joinedOnArrival, markJoined, memberStatus, readJoined } from './joined.ts';
import { GroupRole } from './state.ts';

const group = new Uint8Array(16).fill(0x5a);
const other = new Uint8Array(16).fill(0x6b);
const [ALICE, BOB, CAROL, DAVE] = ['a', 'b', 'c', 'd'].map(
  (c) => `00000000-0000-4000-8000-0000000000${c}${c}`,
) as [string, string, string, string];
const state = (version: number, author: string, users: string[]) => ({
  version,
  author,
  members: users.map((user) => ({ user, role: GroupRole.MEMBER })),
});

describe('joined markers', () => {
  it('are kept per group and member, survive repeats, and go with the member or the group', async () => {
    const { records } = createMemoryStorage();
    const write = async (job: (b: Batch) => Promise<void>) => {
      const batch = new Batch(records);
      await job(batch);
      await batch.commit();
    };
    await write(async (b) => {
      await markJoined(b, group, BOB, 1);
      await markJoined(b, group, CAROL, 1);
      await markJoined(b, other, DAVE, 1);
    });
    await write((b) => markJoined(b, group, BOB, 2));
    expect([...(await readJoined(records, group))].sort()).toEqual([BOB, CAROL].sort());
    await write((b) => clearJoined(b, group, BOB));
    expect([...(await readJoined(records, group))]).toEqual([CAROL]);
    await write((b) => clearJoined(b, group));
    expect(await readJoined(records, group)).toEqual(new Set());
    expect([...(await readJoined(records, other))]).toEqual([DAVE]);
  });

  it('a member is joined once marked; we are joined once the group is accepted', () => {
    const joined = new Set([BOB]);
    expect(memberStatus(BOB, { own: ALICE, accepted: true, joined })).toBe('joined');
    expect(memberStatus(CAROL, { own: ALICE, accepted: true, joined })).toBe('invited');
    expect(memberStatus(ALICE, { own: ALICE, accepted: false, joined })).toBe('invited');
    expect(memberStatus(ALICE, { own: ALICE, accepted: true, joined })).toBe('joined');
  });

  it('on arrival: authors and those in before us joined; those added with us are invited', () => {
    // Created with Bob and Carol: only the creator is known to be in.
    expect(joinedOnArrival([], state(1, ALICE, [ALICE, BOB, CAROL]), BOB)).toEqual([ALICE]);
    // Added later by Carol: the members of the state before, and every author, joined.
    const history = [state(1, ALICE, [ALICE, CAROL]), state(2, ALICE, [ALICE, BOB, CAROL])];
    expect(
      joinedOnArrival(history, state(3, CAROL, [ALICE, BOB, CAROL, DAVE]), DAVE).sort(),
    ).toEqual([ALICE, BOB, CAROL].sort());
  });
});
