/**
 * Group-state acceptance for readers that do not hold the chain and orphan
 * states (docs/protocol.md, "Accepting a state"), with real Ed25519 keys: forged
 * ownership, forged first states, re-added members, forks by a former
 * admin, and the property that no history containing a change signed by a
 * non-admin of its parent is accepted.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MESSAGE_BODY_MAX_BYTES } from '../../wire/limits.ts';
import { encodeContent } from '../sessions/content.ts';
import { encodeRecord } from '../store/record-codec.ts';
import {
  addToChain,
  adoptChain,
  type GroupChain,
  historyOf,
  ORPHANS_MAX,
  ORPHANS_OUTSIDERS_MAX,
  ORPHANS_PER_AUTHOR,
  startChain,
} from './chain.ts';
import {
  GroupRole,
  genesisState,
  isAdminRole,
  roleOf,
  type SignedGroupState,
  signGroupState,
} from './state.ts';
import { decodeGroupRecord } from './store.ts';
import { type Cast, cast, checkWith, child, genesis, NONCE, USERS } from './testing/fixtures.ts';

type Name = keyof typeof USERS;

function codeOf(outcome: { kind: string; error?: { code: string } }): string {
  return outcome.kind === 'rejected' ? (outcome.error?.code ?? 'rejected') : outcome.kind;
}

/** The chain a member holds after accepting `line` in order. */
async function holding(keys: Cast, line: readonly SignedGroupState[]): Promise<GroupChain> {
  let chain = startChain(line[0] as SignedGroupState);
  for (const s of line.slice(1)) {
    const outcome = await addToChain(chain, s, checkWith(keys));
    if (outcome.kind !== 'accepted') throw new Error(`not accepted: ${codeOf(outcome)}`);
    chain = outcome.chain;
  }
  return chain;
}

describe('joining with a history (adoptChain)', () => {
  it('a plain member cannot forge ownership, for a removed member or a stranger', async () => {
    const keys = await cast();
    const v1 = await genesis(keys);
    // The owner removes x... (x was added first)
    const v2 = await child(keys, v1, 'owner', (d) => {
      d.members.set(USERS.x, GroupRole.MEMBER);
    });
    const v3 = await child(keys, v2, 'owner', (d) => {
      d.members.delete(USERS.x);
    });
    // ...and the plain member signs a state making HIMSELF owner and re-adding x.
    const forged = await child(keys, v3, 'member', (d) => {
      d.members.set(USERS.member, GroupRole.OWNER);
      d.members.set(USERS.owner, GroupRole.MEMBER);
      d.members.set(USERS.x, GroupRole.MEMBER);
    });
    const check = checkWith(keys);
    const removed = await holding(keys, [v1, v2, v3]);
    expect(codeOf(await adoptChain(removed, [v1, v2, v3], forged, check))).toBe('GROUP_FORBIDDEN');
    expect(codeOf(await adoptChain(undefined, [v1, v2, v3], forged, check))).toBe(
      'GROUP_FORBIDDEN',
    );
    // Without the history it cannot even be judged: refused.
    expect(codeOf(await adoptChain(undefined, [], forged, check))).toBe('GROUP_HISTORY_MISSING');
    // The real owner's re-add is accepted by the removed member afterwards.
    const readd = await child(keys, v3, 'owner', (d) => {
      d.members.set(USERS.x, GroupRole.MEMBER);
    });
    const real = await adoptChain(removed, [v1, v2, v3], readd, check);
    expect(real.kind).toBe('accepted');
    if (real.kind === 'accepted') expect(real.chain.head.hash).toEqual(readd.hash);
  });

  it('a first state of the same id by anyone but its creator is refused', async () => {
    const keys = await cast();
    const v1 = await genesis(keys);
    // The member makes his own "first state" and reuses the real group id.
    const own = genesisState({
      nonce: NONCE,
      owner: USERS.member,
      ownerKey: keys.member.signing.publicKey,
      name: 'Team',
      timer: 0,
      members: [USERS.owner, USERS.x],
      at: 1,
    });
    const forged = await signGroupState(keys.member.signing.privateKey, {
      ...own,
      group: v1.state.group,
    });
    expect(codeOf(await adoptChain(undefined, [], forged, checkWith(keys)))).toBe(
      'GROUP_FORBIDDEN',
    );
    // The owner listed with the member's key (the id binds the owner's real key).
    const swapped = await signGroupState(keys.member.signing.privateKey, {
      ...v1.state,
      keys: v1.state.keys.map((k) =>
        k.user === USERS.owner ? { ...k, key: keys.member.signing.publicKey } : k,
      ),
    });
    expect(codeOf(await adoptChain(undefined, [], swapped, checkWith(keys)))).toBe(
      'GROUP_FORBIDDEN',
    );
    expect((await adoptChain(undefined, [], v1, checkWith(keys))).kind).toBe('accepted');
  });

  it("a former admin's fork loses to the owner's branch where they depart", async () => {
    const keys = await cast();
    const v1 = await genesis(keys);
    // The owner removes admin B; B signs a sibling of that removal adding x.
    const removeB = await child(keys, v1, 'owner', (d) => {
      d.members.delete(USERS.adminB);
    });
    const fork = await child(keys, v1, 'adminB', (d) => {
      d.members.set(USERS.x, GroupRole.MEMBER);
    });
    const check = checkWith(keys);
    // x first takes B's fork (it is a valid change by an admin of v1)...
    const first = await adoptChain(undefined, [v1], fork, check);
    if (first.kind !== 'accepted') throw new Error('fork not accepted');
    // ...then the owner adds x on the real branch: it departs at version 2 and wins there.
    const add = await child(keys, removeB, 'owner', (d) => {
      d.members.set(USERS.x, GroupRole.MEMBER);
    });
    const real = await adoptChain(first.chain, [v1, removeB], add, check);
    expect(real.kind).toBe('accepted');
    if (real.kind !== 'accepted') return;
    expect(real.chain.head.hash).toEqual(add.hash);
    expect(real.superseded.map((s) => s.hash)).toEqual([fork.hash]);
    // The other way round, B's fork never replaces the owner's branch.
    const again = await child(keys, fork, 'adminB', (d) => {
      d.name = 'Mine';
    });
    expect(codeOf(await adoptChain(real.chain, [v1, fork], again, check))).toBe('GROUP_STALE');
  });

  it("an admin's deeper fork never displaces a held branch by the hash tie-break (no grinding)", async () => {
    const keys = await cast();
    const v1 = await genesis(keys);
    const byA = await child(keys, v1, 'adminA', (d) => {
      d.name = 'A';
    });
    const removeB = await child(keys, byA, 'owner', (d) => {
      d.members.delete(USERS.adminB);
      d.members.set(USERS.x, GroupRole.MEMBER);
    });
    const check = checkWith(keys);
    const held = await holding(keys, [v1, byA, removeB]);
    // B, removed at v3, signs siblings of v2 until every outcome of the hash comparison is
    // covered, continues each fork with a state adding y, and offers it with its history.
    for (let n = 0; n < 6; n++) {
      const fork = await child(keys, v1, 'adminB', (d) => {
        d.name = `B ${n}`;
      });
      const more = await child(keys, fork, 'adminB', (d) => {
        d.members.set(USERS.x, GroupRole.MEMBER);
      });
      const next = await child(keys, more, 'adminB', (d) => {
        d.members.set(USERS.y, GroupRole.MEMBER);
      });
      expect(codeOf(await adoptChain(held, [v1, fork, more], next, check))).toBe('GROUP_STALE');
    }
  });

  it('a plain member leave may stay unverified inside a history, never as its last state', async () => {
    const keys = await cast();
    const v1 = await genesis(keys);
    const leave = await child(keys, v1, 'member', (d) => {
      d.members.delete(USERS.member);
    });
    const add = await child(keys, leave, 'adminA', (d) => {
      d.members.set(USERS.x, GroupRole.MEMBER);
    });
    const onlyAdmins = {
      identityOf: (user: string) =>
        user === USERS.member ? undefined : checkWith(keys).identityOf(user),
    };
    expect((await adoptChain(undefined, [v1, leave], add, onlyAdmins)).kind).toBe('accepted');
    expect(codeOf(await adoptChain(undefined, [v1], leave, onlyAdmins))).toBe('SIGNATURE_INVALID');
  });

  it('accepts no history in which some change is signed by a non-admin of its parent (property)', async () => {
    const keys = await cast();
    const v1 = await genesis(keys);
    const admins: Name[] = ['owner', 'adminA', 'adminB'];
    const others: Name[] = ['member', 'x', 'y'];
    const edit = fc.record({
      kind: fc.constantFrom('rename', 'add', 'promote', 'remove', 'owner'),
      n: fc.nat(999),
    });
    const step = fc.record({ admin: fc.constantFrom(...admins), edit });
    const arb = fc.record({
      before: fc.array(step, { maxLength: 4 }),
      rogue: fc.record({ author: fc.constantFrom(...others), edit }),
      after: fc.array(step, { maxLength: 3 }),
    });
    type Edit = { kind: string; n: number };
    let checked = 0;
    const apply =
      (author: string, e: Edit) => (d: { name: string; members: Map<string, GroupRole> }) => {
        if (e.kind === 'rename') d.name = `Name ${e.n}`;
        if (e.kind === 'add') d.members.set(USERS.y, GroupRole.MEMBER);
        if (e.kind === 'promote') d.members.set(author, GroupRole.ADMIN);
        if (e.kind === 'remove') d.members.delete(USERS.adminB);
        if (e.kind === 'owner') {
          d.members.set(USERS.owner, GroupRole.MEMBER);
          d.members.set(author, GroupRole.OWNER);
        }
      };
    await fc.assert(
      fc.asyncProperty(arb, async ({ before, rogue, after }) => {
        const line: SignedGroupState[] = [v1];
        const extend = async (author: Name, e: Edit) => {
          const parent = line.at(-1) as SignedGroupState;
          try {
            line.push(await child(keys, parent, author, apply(USERS[author], e)));
            return true;
          } catch {
            return false; // an edit that breaks an invariant: not a state anyone could sign
          }
        };
        for (const s of before) {
          const parent = line.at(-1) as SignedGroupState;
          // Only admins of the parent here (the owner may have removed one).
          if (isAdminRole(roleOf(parent.state, USERS[s.admin])))
            await extend(s.admin, { kind: 'rename', n: s.edit.n });
        }
        const parent = line.at(-1) as SignedGroupState;
        if (isAdminRole(roleOf(parent.state, USERS[rogue.author]))) return;
        if (!(await extend(rogue.author, rogue.edit))) return;
        // A plain member may sign a state that changes nothing (the rule allows it), so only
        // a rogue state that really changes the name, members or keys counts as a change.
        const rogueState = (line.at(-1) as SignedGroupState).state;
        const sameContent = (a: typeof rogueState, b: typeof rogueState) =>
          a.name === b.name &&
          a.timer === b.timer &&
          JSON.stringify(a.members) === JSON.stringify(b.members) &&
          JSON.stringify(a.keys.map((k) => k.user)) === JSON.stringify(b.keys.map((k) => k.user));
        if (sameContent(rogueState, parent.state)) return;
        for (const s of after) await extend(s.admin, s.edit);
        const incoming = line.at(-1) as SignedGroupState;
        const outcome = await adoptChain(undefined, line.slice(0, -1), incoming, checkWith(keys));
        expect(outcome.kind).toBe('rejected');
        checked++;
      }),
      { numRuns: 60 },
    );
    expect(checked).toBeGreaterThan(20);
  });
});

describe('history size', () => {
  it('an invitation with the largest history fits one pairwise body; beyond it, adding fails clearly', async () => {
    const keys = await cast();
    const members = Array.from(
      { length: 250 },
      (_, i) => `00000000-0000-4000-8000-${(i + 100).toString(16).padStart(12, '0')}`,
    );
    const first = await signGroupState(
      keys.owner.signing.privateKey,
      genesisState({
        nonce: NONCE,
        owner: USERS.owner,
        ownerKey: keys.owner.signing.publicKey,
        name: 'Big',
        timer: 0,
        members,
        at: 1,
      }),
    );
    let chain = startChain(first);
    let largest = 0;
    while (chain.complete) {
      const next = await child(keys, chain.head, 'owner', (d) => {
        d.name = `Big ${chain.head.state.version}`;
      });
      const o = await addToChain(chain, next, checkWith(keys));
      if (o.kind !== 'accepted') throw new Error('not accepted');
      if (o.chain.complete) {
        const content = encodeContent({
          v: 1,
          t: 'group-update',
          g: next.state.group,
          body: next.body,
          sig: next.signature,
          h: historyOf(o.chain).map((s) => ({ b: s.body, s: s.signature })),
        });
        largest = Math.max(largest, content.length);
      }
      chain = o.chain;
    }
    // Room left for the pairwise envelope (prekey header, padding, AEAD tag).
    expect(largest).toBeLessThan(MESSAGE_BODY_MAX_BYTES - 4096);
    expect(chain.ancestors).toHaveLength(1); // only the parent is kept from here on
    expect(() => historyOf(chain)).toThrow(
      expect.objectContaining({ code: 'GROUP_HISTORY_TOO_LONG' }),
    );
  });
});

describe('orphan states (parent missing)', () => {
  it('a former member cannot evict a legitimate out-of-order state, nor can flooding members', async () => {
    const keys = await cast();
    const v1 = await genesis(keys);
    const v2 = await child(keys, v1, 'owner', (d) => {
      d.members.set(USERS.x, GroupRole.MEMBER);
    });
    const v3 = await child(keys, v2, 'owner', (d) => {
      d.members.delete(USERS.x); // x is a former member from here on
    });
    const v4 = await child(keys, v3, 'adminA', (d) => {
      d.name = 'Four';
    });
    const v5 = await child(keys, v4, 'adminA', (d) => {
      d.name = 'Five';
    });
    let chain = await holding(keys, [v1, v2, v3]);
    // v5 arrives before v4: kept aside.
    const pending = await addToChain(chain, v5, checkWith(keys));
    expect(pending.kind).toBe('pending');
    chain = pending.chain;
    // x (removed in v3) and then the plain member flood states that build on unknown parents.
    let junk = v3;
    for (let i = 0; i < 20; i++) {
      junk = await child(keys, junk, 'x', (d) => {
        d.name = `x ${i}`;
      });
      chain = (await addToChain(chain, junk, checkWith(keys))).chain;
    }
    // x is in neither our head nor its parent: its states share a few slots, evicted first.
    expect(chain.orphans.filter((o) => o.state.author === USERS.x).length).toBeLessThanOrEqual(
      ORPHANS_OUTSIDERS_MAX,
    );
    // Current members flood too, each far beyond its share, together beyond the total.
    for (const author of ['member', 'adminB', 'owner'] as const) {
      let spam = v4;
      for (let i = 0; i < 20; i++) {
        spam = await child(keys, spam, author, (d) => {
          d.members.set(USERS[author], d.members.get(USERS[author]) ?? GroupRole.MEMBER);
        });
        chain = (await addToChain(chain, spam, checkWith(keys))).chain;
      }
      expect(
        chain.orphans.filter((o) => o.state.author === USERS[author]).length,
      ).toBeLessThanOrEqual(ORPHANS_PER_AUTHOR);
    }
    expect(chain.orphans.length).toBeLessThanOrEqual(ORPHANS_MAX);
    expect(chain.orphans.some((o) => o.hash.every((b, i) => b === v5.hash[i]))).toBe(true);
    // A state whose signature is not its author's is not kept aside either.
    const unsigned = await child(
      keys,
      v4,
      'adminB',
      (d) => {
        d.name = 'Not B';
      },
      'member',
    );
    expect(codeOf(await addToChain(chain, { ...unsigned }, checkWith(keys)))).toBe(
      'SIGNATURE_INVALID',
    );
    // The missing parent arrives: both apply.
    const done = await addToChain(chain, v4, checkWith(keys));
    expect(done.kind).toBe('accepted');
    if (done.kind === 'accepted') expect(done.chain.head.state.name).toBe('Five');
  });
});

describe('stored groups of format 1', () => {
  it('read as absent (the group must be created again)', async () => {
    const keys = await cast();
    const v1 = await genesis(keys);
    const old = encodeRecord({
      v: 1,
      id: v1.state.group,
      head: { b: v1.body, s: v1.signature },
      seen: [],
      orphans: [],
      accepted: true,
      addedBy: USERS.owner,
      joinedAt: 1,
    });
    expect(decodeGroupRecord(old)).toBeUndefined();
  });
});
