import { describe, expect, it } from 'vitest';
import { isParleyError } from '../../errors.ts';
import { encodeCbor } from '../../wire/cbor.ts';
import {
  checkPermission,
  decodeGroupState,
  diffStates,
  encodeGroupState,
  type GroupChange,
  GroupRole,
  genesisState,
  parseSignedGroupState,
  userIdFromBytes,
  userIdToBytes,
  validateTransition,
} from './state.ts';
import { cast, checkWith, child, genesis, NONCE, USERS } from './testing/fixtures.ts';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return isParleyError(e) ? e.code : 'not a ParleyError';
  }
}

async function asyncCode(fn: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await fn();
    return undefined;
  } catch (e) {
    return isParleyError(e) ? e.code : 'not a ParleyError';
  }
}

const none: GroupChange = { added: [], removed: [], roles: [], rekeyed: [] };
const M = (user: string, role: GroupRole) => ({ user, role });

describe('group state', () => {
  it('encodes deterministically and decodes to the same state', async () => {
    const keys = await cast();
    const signed = await genesis(keys);
    const parsed = parseSignedGroupState(signed.body, signed.signature);
    expect(parsed.state).toEqual(signed.state);
    expect(parsed.hash).toEqual(signed.hash);
    expect(encodeGroupState(parsed.state)).toEqual(signed.body);
    expect(userIdFromBytes(userIdToBytes(USERS.member))).toBe(USERS.member);
  });

  it('keeps a 256-member state under the content cap', () => {
    const members = Array.from(
      { length: 255 },
      (_, i) => `00000000-0000-4000-8000-${(i + 100).toString(16).padStart(12, '0')}`,
    );
    const ownerKey = new Uint8Array(32).fill(7);
    const state = genesisState({
      nonce: NONCE,
      owner: USERS.owner,
      ownerKey,
      name: 'Big',
      timer: 0,
      members,
      at: 1,
    });
    expect(encodeGroupState(state).length).toBeLessThan(6000);
    expect(
      code(() =>
        genesisState({
          nonce: NONCE,
          owner: USERS.owner,
          ownerKey,
          name: 'Too big',
          timer: 0,
          members: [...members, '00000000-0000-4000-8000-0000000fffff'],
          at: 1,
        }),
      ),
    ).toBe('GROUP_STATE_INVALID');
  });

  it('rejects malformed and non-canonical bodies and broken invariants', async () => {
    const keys = await cast();
    const signed = await genesis(keys);
    expect(code(() => decodeGroupState(new Uint8Array([1, 2, 3])))).toBe('GROUP_STATE_INVALID');
    const base = {
      v: 2,
      g: signed.state.group,
      n: 1,
      a: [[userIdToBytes(USERS.owner), new Uint8Array(32)]],
      k: NONCE,
      p: new Uint8Array(32),
      name: 'Team',
      timer: 0,
      by: userIdToBytes(USERS.owner),
      at: 1,
    };
    const owner = [userIdToBytes(USERS.owner), 0];
    const member = [userIdToBytes(USERS.member), 2];
    // unsorted members
    expect(code(() => decodeGroupState(encodeCbor({ ...base, m: [member, owner] })))).toBe(
      'GROUP_STATE_INVALID',
    );
    // two owners, no owner, bad timer, empty name, control characters
    for (const bad of [
      { ...base, m: [owner, [userIdToBytes(USERS.member), 0]] },
      { ...base, m: [[userIdToBytes(USERS.owner), 1]] },
      { ...base, m: [owner], timer: 1234 },
      { ...base, m: [owner], name: '' },
      { ...base, m: [owner], name: 'a\u0000b' },
      { ...base, m: [owner], n: 1, p: new Uint8Array(32).fill(1) },
      { ...base, m: [owner], extra: 1 },
    ]) {
      expect(code(() => decodeGroupState(encodeCbor(bad)))).toBe('GROUP_STATE_INVALID');
    }
    expect(code(() => parseSignedGroupState(signed.body, new Uint8Array(10)))).toBe(
      'GROUP_STATE_INVALID',
    );
  });

  it('refuses format-1 bodies (no creator binding) with GROUP_STATE_VERSION', async () => {
    const keys = await cast();
    const signed = await genesis(keys);
    const old = encodeCbor({
      v: 1,
      g: signed.state.group,
      n: 1,
      p: new Uint8Array(32),
      name: 'Team',
      timer: 0,
      m: [[userIdToBytes(USERS.owner), 0]],
      by: userIdToBytes(USERS.owner),
      at: 1,
    });
    expect(code(() => decodeGroupState(old))).toBe('GROUP_STATE_VERSION');
  });

  it('enforces the permission table', () => {
    const allowed = (author: string, role: GroupRole, change: GroupChange) =>
      code(() => checkPermission(author, role, change)) === undefined;
    const o = USERS.owner;
    const a = USERS.adminA;
    const m = USERS.member;
    const x = USERS.x;
    const rename: GroupChange = { ...none, name: { from: 'a', to: 'b' } };
    const timer: GroupChange = { ...none, timer: { from: 0, to: 30_000 } };
    const addMember: GroupChange = { ...none, added: [M(x, GroupRole.MEMBER)] };
    const addAdmin: GroupChange = { ...none, added: [M(x, GroupRole.ADMIN)] };
    const removeMember: GroupChange = { ...none, removed: [M(x, GroupRole.MEMBER)] };
    const removeAdmin: GroupChange = { ...none, removed: [M(USERS.adminB, GroupRole.ADMIN)] };
    const removeOwner: GroupChange = { ...none, removed: [M(o, GroupRole.OWNER)] };
    const promote: GroupChange = {
      ...none,
      roles: [{ user: x, from: GroupRole.MEMBER, to: GroupRole.ADMIN }],
    };
    const rows: Array<[string, GroupChange, boolean, boolean, boolean]> = [
      // change, owner, admin, member
      ['rename', rename, true, true, false],
      ['timer', timer, true, true, false],
      ['add member', addMember, true, true, false],
      ['add admin', addAdmin, true, false, false],
      ['remove member', removeMember, true, true, false],
      ['remove admin', removeAdmin, true, false, false],
      ['remove owner', removeOwner, false, false, false],
      ['promote', promote, true, false, false],
    ];
    for (const [, change, byOwner, byAdmin, byMember] of rows) {
      expect(allowed(o === change.removed[0]?.user ? a : o, GroupRole.OWNER, change)).toBe(byOwner);
      expect(allowed(a, GroupRole.ADMIN, change)).toBe(byAdmin);
      expect(allowed(m, GroupRole.MEMBER, change)).toBe(byMember);
    }
    // Leaving: members and admins may, the owner must transfer first.
    expect(allowed(m, GroupRole.MEMBER, { ...none, removed: [M(m, GroupRole.MEMBER)] })).toBe(true);
    expect(allowed(a, GroupRole.ADMIN, { ...none, removed: [M(a, GroupRole.ADMIN)] })).toBe(true);
    expect(allowed(o, GroupRole.OWNER, { ...none, removed: [M(o, GroupRole.OWNER)] })).toBe(false);
  });

  it('validates transitions: version, parent, membership, permission, signature', async () => {
    const keys = await cast();
    const check = checkWith(keys);
    const v1 = await genesis(keys);
    const rename = (d: { name: string }) => {
      d.name = 'Renamed';
    };
    const ok = await child(keys, v1, 'adminA', rename);
    expect((await validateTransition(v1, ok, check)).name).toEqual({ from: 'Team', to: 'Renamed' });
    // A plain member may not rename.
    const byMember = await child(keys, v1, 'member', rename);
    expect(await asyncCode(() => validateTransition(v1, byMember, check))).toBe('GROUP_FORBIDDEN');
    // Someone outside the group.
    const byOutsider = await child(keys, v1, 'x', rename);
    expect(await asyncCode(() => validateTransition(v1, byOutsider, check))).toBe(
      'GROUP_FORBIDDEN',
    );
    // Signed by another key than the author's.
    const forged = await child(keys, v1, 'adminA', rename, 'member');
    expect(await asyncCode(() => validateTransition(v1, forged, check))).toBe('SIGNATURE_INVALID');
    // An admin is checked with the key the parent lists (no contact needed); a member
    // (leaving) with the key we trust for them, so an unknown one fails.
    expect(await validateTransition(v1, ok, { identityOf: () => undefined })).toBeDefined();
    const leave = await child(keys, v1, 'member', (d) => {
      d.members.delete(USERS.member);
    });
    expect(await validateTransition(v1, leave, check)).toBeDefined();
    expect(
      await asyncCode(() => validateTransition(v1, leave, { identityOf: () => undefined })),
    ).toBe('SIGNATURE_INVALID');
    // Not the next version of this parent.
    const v3 = await child(keys, ok, 'adminA', (d) => {
      d.name = 'Again';
    });
    expect(await asyncCode(() => validateTransition(v1, v3, check))).toBe('GROUP_STATE_INVALID');
    // An admin may not remove another admin; the owner may.
    const removeB = (d: { members: Map<string, GroupRole> }) => {
      d.members.delete(USERS.adminB);
    };
    expect(
      await asyncCode(async () =>
        validateTransition(v1, await child(keys, v1, 'adminA', removeB), check),
      ),
    ).toBe('GROUP_FORBIDDEN');
    expect(
      (await validateTransition(v1, await child(keys, v1, 'owner', removeB), check)).removed,
    ).toEqual([M(USERS.adminB, GroupRole.ADMIN)]);
  });

  it('diffs name, timer, members and roles', async () => {
    const keys = await cast();
    const v1 = await genesis(keys);
    const v2 = await child(keys, v1, 'owner', (d) => {
      d.timer = 30_000;
      d.members.set(USERS.x, GroupRole.MEMBER);
      d.members.delete(USERS.member);
      d.members.set(USERS.adminB, GroupRole.MEMBER);
    });
    expect(diffStates(v1.state, v2.state)).toEqual({
      timer: { from: 0, to: 30_000 },
      added: [M(USERS.x, GroupRole.MEMBER)],
      removed: [M(USERS.member, GroupRole.MEMBER)],
      roles: [{ user: USERS.adminB, from: GroupRole.ADMIN, to: GroupRole.MEMBER }],
      rekeyed: [],
    });
  });
});
