/**
 * Group test fixtures: a cast of users with real identity keys, and helpers
 * to build signed states the way a member's client would.
 */
import type { Bytes } from '../../../bytes.ts';
import {
  generateIdentityKeyPair,
  type IdentityKeyPair,
  publicIdentity,
} from '../../../crypto/identity.ts';
import type { TransitionCheck } from '../state.ts';
import {
  type GroupRole,
  genesisState,
  nextState,
  type SignedGroupState,
  signGroupState,
} from '../state.ts';

export const NONCE = new Uint8Array(16).fill(0x42);

export const USERS = {
  owner: '00000000-0000-4000-8000-000000000001',
  adminA: '00000000-0000-4000-8000-000000000002',
  adminB: '00000000-0000-4000-8000-000000000003',
  member: '00000000-0000-4000-8000-000000000004',
  x: '00000000-0000-4000-8000-000000000005',
  y: '00000000-0000-4000-8000-000000000006',
} as const;

export type Cast = Record<keyof typeof USERS, IdentityKeyPair>;

let cached: Promise<Cast> | undefined;

/** One identity per user (generated once per test file). */
export function cast(): Promise<Cast> {
  cached ??= (async () => {
    const entries = await Promise.all(
      Object.keys(USERS).map(async (k) => [k, await generateIdentityKeyPair(true)] as const),
    );
    return Object.fromEntries(entries) as Cast;
  })();
  return cached;
}

export function checkWith(keys: Cast): TransitionCheck {
  const byUser = new Map<string, ReturnType<typeof publicIdentity>>(
    (Object.keys(USERS) as (keyof typeof USERS)[]).map((k) => [USERS[k], publicIdentity(keys[k])]),
  );
  return { identityOf: (user) => byUser.get(user) };
}

/** The identity signing key of a cast member (what a state lists for an owner/admin). */
export function keyFor(keys: Cast): (user: string) => Bytes | undefined {
  return (user) => {
    const name = (Object.keys(USERS) as (keyof typeof USERS)[]).find((k) => USERS[k] === user);
    return name === undefined ? undefined : keys[name].signing.publicKey;
  };
}

export function nameOfUser(user: string): keyof typeof USERS {
  const found = (Object.keys(USERS) as (keyof typeof USERS)[]).find((k) => USERS[k] === user);
  if (found === undefined) throw new Error(`unknown user ${user}`);
  return found;
}

/** v1: owner, admins A and B, one plain member. */
export async function genesis(keys: Cast): Promise<SignedGroupState> {
  const state = genesisState({
    nonce: NONCE,
    owner: USERS.owner,
    ownerKey: keys.owner.signing.publicKey,
    name: 'Team',
    timer: 0,
    members: [USERS.adminA, USERS.adminB, USERS.member],
    at: 1,
  });
  const edited = {
    ...state,
    members: state.members.map((m) =>
      m.user === USERS.adminA || m.user === USERS.adminB ? { ...m, role: 'admin' as GroupRole } : m,
    ),
    keys: [USERS.owner, USERS.adminA, USERS.adminB].sort().map((user) => ({
      user,
      key: keyFor(keys)(user) as Bytes,
    })),
  };
  return signGroupState(keys.owner.signing.privateKey, edited);
}

/** The successor of `parent` by `author`, signed with `signer` (default: the author's key). */
export async function child(
  keys: Cast,
  parent: SignedGroupState,
  author: keyof typeof USERS,
  edit: Parameters<typeof nextState>[3],
  signer: keyof typeof USERS = author,
): Promise<SignedGroupState> {
  const state = nextState(parent, USERS[author], parent.state.at + 1, edit, keyFor(keys));
  return signGroupState(keys[signer].signing.privateKey, state);
}
