import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../bytes.ts';
import { addToChain, type GroupChain, ORPHANS_MAX, startChain } from './chain.ts';
import { beats, GroupRole, type SignedGroupState } from './state.ts';
import { type Cast, cast, checkWith, child, genesis, USERS } from './testing/fixtures.ts';

async function offer(chain: GroupChain, state: SignedGroupState, keys: Cast) {
  return addToChain(chain, state, checkWith(keys));
}

describe('group chain', () => {
  it('extends the head, refuses replays and stale versions', async () => {
    const keys = await cast();
    const v1 = await genesis(keys);
    const v2 = await child(keys, v1, 'adminA', (d) => {
      d.name = 'Two';
    });
    const v3 = await child(keys, v2, 'owner', (d) => {
      d.timer = 30_000;
    });
    let chain = startChain(v1);
    const a = await offer(chain, v2, keys);
    expect(a.kind).toBe('accepted');
    if (a.kind !== 'accepted') return;
    expect(a.applied.map((s) => s.state.state.version)).toEqual([2]);
    chain = a.chain;
    const b = await offer(chain, v3, keys);
    if (b.kind !== 'accepted') throw new Error('v3 not accepted');
    chain = b.chain;
    expect(chain.head.state.timer).toBe(30_000);
    // The same state again: a replay.
    const replay = await offer(chain, v3, keys);
    expect(replay.kind === 'rejected' && replay.error.code).toBe('GROUP_REPLAY');
    // A validly signed state built on v1 (older than the head): stale.
    const late = await child(keys, v1, 'owner', (d) => {
      d.name = 'Late';
    });
    const stale = await offer(chain, late, keys);
    expect(stale.kind === 'rejected' && stale.error.code).toBe('GROUP_STALE');
    expect(chain.head.hash).toEqual(v3.hash);
  });

  it('refuses a change by a member and leaves the chain as it was', async () => {
    const keys = await cast();
    const v1 = await genesis(keys);
    const chain = startChain(v1);
    const sneaky = await child(keys, v1, 'member', (d) => {
      d.members.set(USERS.x, GroupRole.MEMBER);
    });
    const outcome = await offer(chain, sneaky, keys);
    expect(outcome.kind === 'rejected' && outcome.error.code).toBe('GROUP_FORBIDDEN');
    expect(outcome.chain).toBe(chain);
  });

  it('settles concurrent changes by the fork choice, in either order', async () => {
    const keys = await cast();
    const v1 = await genesis(keys);
    const byA = await child(keys, v1, 'adminA', (d) => {
      d.name = 'From A';
    });
    const byB = await child(keys, v1, 'adminB', (d) => {
      d.name = 'From B';
    });
    const byOwner = await child(keys, v1, 'owner', (d) => {
      d.name = 'From owner';
    });
    const winner = beats(byA, byB, v1.state) ? byA : byB;
    for (const order of [
      [byA, byB],
      [byB, byA],
    ]) {
      let chain = startChain(v1);
      for (const s of order) {
        const o = await offer(chain, s, keys);
        chain = o.chain;
      }
      expect(toHex(chain.head.hash)).toBe(toHex(winner.hash));
    }
    // The owner's change wins over an admin's, whatever the hashes.
    let chain = startChain(v1);
    chain = (await offer(chain, winner, keys)).chain;
    const o = await offer(chain, byOwner, keys);
    expect(o.kind).toBe('accepted');
    if (o.kind === 'accepted') expect(o.superseded.map((s) => s.hash)).toEqual([winner.hash]);
    expect(o.chain.head.state.name).toBe('From owner');
  });

  it('keeps a state whose parent has not arrived and applies it after the parent', async () => {
    const keys = await cast();
    const v1 = await genesis(keys);
    const v2 = await child(keys, v1, 'adminA', (d) => {
      d.name = 'Two';
    });
    const v3 = await child(keys, v2, 'adminA', (d) => {
      d.name = 'Three';
    });
    let chain = startChain(v1);
    const early = await offer(chain, v3, keys);
    expect(early.kind).toBe('pending');
    chain = early.chain;
    const late = await offer(chain, v2, keys);
    expect(late.kind).toBe('accepted');
    if (late.kind === 'accepted') {
      expect(late.applied.map((s) => s.state.state.version)).toEqual([2, 3]);
      expect(late.chain.orphans).toEqual([]);
      expect(late.chain.head.state.name).toBe('Three');
    }
    expect(ORPHANS_MAX).toBeGreaterThan(0);
  });

  it('converges to the same state for any delivery order of concurrent histories (property)', async () => {
    const keys = await cast();
    const v1 = await genesis(keys);
    const authors = ['owner', 'adminA', 'adminB', 'member'] as const;
    const editArb = fc.record({
      author: fc.constantFrom(...authors),
      kind: fc.constantFrom('rename', 'timer', 'add', 'remove', 'removeAdmin'),
      n: fc.nat(999),
    });
    // Rounds of 1-3 concurrent edits, each built on the head every member had then.
    const historyArb = fc.array(fc.array(editArb, { minLength: 1, maxLength: 3 }), {
      minLength: 1,
      maxLength: 4,
    });
    await fc.assert(
      fc.asyncProperty(historyArb, fc.infiniteStream(fc.nat()), async (rounds, seeds) => {
        let head = v1;
        const all: SignedGroupState[] = [];
        for (const round of rounds) {
          const candidates: SignedGroupState[] = [];
          for (const e of round) {
            const s = await child(keys, head, e.author, (d) => {
              if (e.kind === 'rename') d.name = `Name ${e.n}`;
              if (e.kind === 'timer') d.timer = e.n % 2 === 0 ? 30_000 : 300_000;
              if (e.kind === 'add') d.members.set(USERS.x, GroupRole.MEMBER);
              if (e.kind === 'remove') d.members.delete(USERS.member);
              if (e.kind === 'removeAdmin') d.members.delete(USERS.adminB);
            }).catch(() => undefined); // e.g. removing someone not there: no state
            if (s === undefined || all.some((o) => toHex(o.hash) === toHex(s.hash))) continue;
            all.push(s);
            // What members accept: valid changes only.
            const valid = await addToChain(startChain(head), s, checkWith(keys));
            if (valid.kind === 'accepted') candidates.push(s);
          }
          const parent = head;
          let best: SignedGroupState | undefined;
          for (const c of candidates)
            if (best === undefined || beats(c, best, parent.state)) best = c;
          if (best !== undefined) head = best;
        }
        // Deliver everything (plus a replay of each) in a random order.
        const deliveries = [...all, ...all];
        const order = shuffle(deliveries, seeds);
        let chain = startChain(v1);
        for (const s of order) chain = (await addToChain(chain, s, checkWith(keys))).chain;
        expect(toHex(chain.head.hash)).toBe(toHex(head.hash));
      }),
      { numRuns: 40 },
    );
  });
});

function shuffle<T>(items: readonly T[], seeds: fc.Stream<number>): T[] {
  const out = [...items];
  const it = seeds[Symbol.iterator]();
  for (let i = out.length - 1; i > 0; i--) {
    const j = (it.next().value as number) % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
