/**
 * Group state: name, members with roles, disappearing-message timer, as one
 * signed, versioned value. Every change is a new full state signed by its
 * author's identity Ed25519 key (SignatureContext.GROUP_STATE) that names
 * its parent by hash, so members can check who changed what, in which order,
 * and whether that author was allowed to ("More is Less", Rösler et al.
 * 2018: the relay must not be able to add anyone, so membership exists only
 * in states signed by an admin).
 *
 * Body (deterministic CBOR, docs/protocol.md "Groups"):
 *   {v: 1, g: group id 16, n: version, p: SHA-256 of the parent body (zeros for
 *    version 1), name, timer: ms, m: [[user id 16 bytes, role code], ...] sorted,
 *    by: author user id 16 bytes, at: ms}
 *
 * Pure apart from the Ed25519 calls (WebCrypto is async).
 */
import * as v from 'valibot';
import { type Bytes, equalBytes, fromHex, toHex } from '../../bytes.ts';
import { signWithContext, verifyWithContext } from '../../crypto/ed25519.ts';
import { sha256Digest } from '../../crypto/kdf.ts';
import type { IdentityPublicKeys } from '../../crypto/keys.ts';
import { SignatureContext } from '../../crypto/labels.ts';
import { ErrorCode, fail, ParleyError } from '../../errors.ts';
import { decodeCbor, encodeCbor } from '../../wire/cbor.ts';
import { GROUP_MAX_MEMBERS } from '../../wire/limits.ts';

export const GROUP_ID_BYTES = 16;
export const GROUP_STATE_HASH_BYTES = 32;
export const GROUP_NAME_MAX_CHARS = 64;
/** Encoded state bodies stay far below this even with 256 members (~5.3 KB). */
export const GROUP_STATE_MAX_BYTES = 16 * 1024;

export const GroupRole = { OWNER: 'owner', ADMIN: 'admin', MEMBER: 'member' } as const;
export type GroupRole = (typeof GroupRole)[keyof typeof GroupRole];

const ROLE_CODES: readonly GroupRole[] = [GroupRole.OWNER, GroupRole.ADMIN, GroupRole.MEMBER];

/** Lower is more powerful (fork choice prefers the more powerful author). */
export function roleRank(role: GroupRole): number {
  return ROLE_CODES.indexOf(role);
}

/** The disappearing-message timer values a conversation may have (0 = off). */
export const TIMER_OPTIONS_MS = [
  0,
  30_000,
  5 * 60_000,
  60 * 60_000,
  24 * 60 * 60_000,
  7 * 24 * 60 * 60_000,
] as const;

export function isTimerOption(ms: number): boolean {
  return (TIMER_OPTIONS_MS as readonly number[]).includes(ms);
}

export interface GroupMember {
  readonly user: string;
  readonly role: GroupRole;
}

export interface GroupState {
  readonly group: Bytes;
  readonly version: number;
  /** Hash of the parent state's body; 32 zero bytes for version 1. */
  readonly previous: Bytes;
  readonly name: string;
  readonly timer: number;
  /** Sorted by user id, unique. */
  readonly members: readonly GroupMember[];
  readonly author: string;
  readonly at: number;
}

export interface SignedGroupState {
  readonly state: GroupState;
  readonly body: Bytes;
  readonly signature: Bytes;
  /** SHA-256 of `body`: what a child names as `previous`. */
  readonly hash: Bytes;
}

// ---------------------------------------------------------------------------
// User ids as 16 bytes (the body carries 256 of them)

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function userIdToBytes(user: string): Bytes {
  if (!UUID_PATTERN.test(user)) fail(ErrorCode.BAD_ARGUMENT, 'Not a canonical user id');
  return fromHex(user.replaceAll('-', ''));
}

export function userIdFromBytes(bytes: Uint8Array): string {
  const h = toHex(bytes);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// ---------------------------------------------------------------------------
// Invariants

function invalid(reason: string, details?: Record<string, string | number>): ParleyError {
  return new ParleyError(ErrorCode.GROUP_STATE_INVALID, `Invalid group state: ${reason}`, {
    reason,
    ...details,
  });
}

/** A name people can read: 1..64 characters, no control or format characters. */
export function checkGroupName(name: string): void {
  if (name.length === 0 || name.length > GROUP_NAME_MAX_CHARS || name.trim() !== name) {
    throw invalid('name length');
  }
  if (/[\p{Cc}\p{Cf}]/u.test(name)) throw invalid('name characters');
}

/** Everything a single state must satisfy on its own. Throws GROUP_STATE_INVALID. */
export function checkInvariants(state: GroupState): void {
  if (state.group.length !== GROUP_ID_BYTES) throw invalid('group id');
  if (!Number.isSafeInteger(state.version) || state.version < 1) throw invalid('version');
  if (state.previous.length !== GROUP_STATE_HASH_BYTES) throw invalid('previous');
  if (state.version === 1 && !state.previous.every((b) => b === 0)) throw invalid('previous');
  checkGroupName(state.name);
  if (!isTimerOption(state.timer)) throw invalid('timer');
  if (state.members.length < 1 || state.members.length > GROUP_MAX_MEMBERS) {
    throw invalid('member count', { count: state.members.length });
  }
  let owners = 0;
  for (let i = 0; i < state.members.length; i++) {
    const m = state.members[i] as GroupMember;
    const previous = state.members[i - 1];
    if (previous !== undefined && previous.user >= m.user) throw invalid('members not sorted');
    if (m.role === GroupRole.OWNER) owners++;
  }
  if (owners !== 1) throw invalid('exactly one owner');
  if (!Number.isSafeInteger(state.at) || state.at < 0) throw invalid('time');
}

export function roleOf(state: GroupState, user: string): GroupRole | undefined {
  return state.members.find((m) => m.user === user)?.role;
}

export function isAdminRole(role: GroupRole | undefined): boolean {
  return role === GroupRole.OWNER || role === GroupRole.ADMIN;
}

export function sortMembers(members: Iterable<GroupMember>): GroupMember[] {
  return [...members].sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
}

// ---------------------------------------------------------------------------
// Encoding

const BodySchema = v.strictObject({
  v: v.literal(1),
  g: v.pipe(v.instance(Uint8Array), v.length(GROUP_ID_BYTES)),
  n: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
  p: v.pipe(v.instance(Uint8Array), v.length(GROUP_STATE_HASH_BYTES)),
  name: v.string(),
  timer: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
  m: v.pipe(
    v.array(
      v.tuple([
        v.pipe(v.instance(Uint8Array), v.length(16)),
        v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(ROLE_CODES.length - 1)),
      ]),
    ),
    v.maxLength(GROUP_MAX_MEMBERS),
  ),
  by: v.pipe(v.instance(Uint8Array), v.length(16)),
  at: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
});

export function encodeGroupState(state: GroupState): Bytes {
  checkInvariants(state);
  return encodeCbor({
    v: 1,
    g: state.group,
    n: state.version,
    p: state.previous,
    name: state.name,
    timer: state.timer,
    m: state.members.map((m) => [userIdToBytes(m.user), roleRank(m.role)]),
    by: userIdToBytes(state.author),
    at: state.at,
  });
}

/** Decodes and checks a state body (not its signature). Throws GROUP_STATE_INVALID. */
export function decodeGroupState(body: Uint8Array): GroupState {
  if (body.length > GROUP_STATE_MAX_BYTES) throw invalid('too large');
  let raw: unknown;
  try {
    raw = decodeCbor(body);
  } catch {
    throw invalid('not CBOR');
  }
  const parsed = v.safeParse(BodySchema, raw);
  if (!parsed.success) throw invalid('schema');
  const b = parsed.output;
  const state: GroupState = {
    group: b.g.slice(),
    version: b.n,
    previous: b.p.slice(),
    name: b.name,
    timer: b.timer,
    members: b.m.map(([user, code]) => ({
      user: userIdFromBytes(user),
      role: ROLE_CODES[code] as GroupRole,
    })),
    author: userIdFromBytes(b.by),
    at: b.at,
  };
  checkInvariants(state);
  // One spelling per state: the hash must name exactly these bytes.
  if (!equalBytes(encodeGroupState(state), body)) throw invalid('not canonical');
  return state;
}

export function hashGroupState(body: Uint8Array): Bytes {
  return sha256Digest(body);
}

export async function signGroupState(
  signingKey: CryptoKey,
  state: GroupState,
): Promise<SignedGroupState> {
  const body = encodeGroupState(state);
  const signature = await signWithContext(signingKey, SignatureContext.GROUP_STATE, body);
  return { state, body, signature, hash: hashGroupState(body) };
}

/** Parses a received state (structure only; the signature is checked against its parent). */
export function parseSignedGroupState(body: Uint8Array, signature: Uint8Array): SignedGroupState {
  if (signature.length !== 64) throw invalid('signature length');
  const state = decodeGroupState(body);
  return { state, body: body.slice(), signature: signature.slice(), hash: hashGroupState(body) };
}

export function verifyGroupStateSignature(
  signed: SignedGroupState,
  author: IdentityPublicKeys,
): Promise<void> {
  return verifyWithContext(
    author.signing,
    signed.signature,
    'Group state',
    SignatureContext.GROUP_STATE,
    signed.body,
  );
}

// ---------------------------------------------------------------------------
// Changes and permissions

export interface RoleChange {
  readonly user: string;
  readonly from: GroupRole;
  readonly to: GroupRole;
}

export interface GroupChange {
  readonly name?: { readonly from: string; readonly to: string };
  readonly timer?: { readonly from: number; readonly to: number };
  readonly added: readonly GroupMember[];
  readonly removed: readonly GroupMember[];
  readonly roles: readonly RoleChange[];
}

export function diffStates(parent: GroupState, child: GroupState): GroupChange {
  const before = new Map(parent.members.map((m) => [m.user, m.role]));
  const after = new Map(child.members.map((m) => [m.user, m.role]));
  const added: GroupMember[] = [];
  const removed: GroupMember[] = [];
  const roles: RoleChange[] = [];
  for (const m of child.members) {
    const was = before.get(m.user);
    if (was === undefined) added.push(m);
    else if (was !== m.role) roles.push({ user: m.user, from: was, to: m.role });
  }
  for (const m of parent.members) if (!after.has(m.user)) removed.push(m);
  return {
    ...(parent.name === child.name ? {} : { name: { from: parent.name, to: child.name } }),
    ...(parent.timer === child.timer ? {} : { timer: { from: parent.timer, to: child.timer } }),
    added,
    removed,
    roles,
  };
}

function forbidden(what: string): ParleyError {
  return new ParleyError(ErrorCode.GROUP_FORBIDDEN, `Group change not allowed: ${what}`, {
    change: what,
  });
}

/**
 * The permission table (docs/protocol.md):
 *
 * | change                           | owner | admin | member |
 * |----------------------------------|-------|-------|--------|
 * | rename, set the timer            |  yes  |  yes  |   no   |
 * | add members (as members)         |  yes  |  yes  |   no   |
 * | add someone as admin             |  yes  |   no  |   no   |
 * | remove a member                  |  yes  |  yes  |   no   |
 * | remove an admin                  |  yes  |   no  |   no   |
 * | promote / demote admins          |  yes  |   no  |   no   |
 * | transfer ownership               |  yes  |   no  |   no   |
 * | leave (remove oneself)           | after transferring | yes | yes |
 *
 * Nobody else may remove the owner; there is always exactly one.
 */
export function checkPermission(author: string, role: GroupRole, change: GroupChange): void {
  const owner = role === GroupRole.OWNER;
  const admin = isAdminRole(role);
  if (change.name !== undefined && !admin) throw forbidden('name');
  if (change.timer !== undefined && !admin) throw forbidden('timer');
  for (const m of change.added) {
    if (!admin) throw forbidden('add');
    if (m.role === GroupRole.OWNER) throw forbidden('add owner');
    if (m.role === GroupRole.ADMIN && !owner) throw forbidden('add admin');
  }
  for (const m of change.removed) {
    if (m.user === author) {
      if (m.role === GroupRole.OWNER) throw forbidden('owner leaves');
      continue; // leaving
    }
    if (m.role === GroupRole.OWNER) throw forbidden('remove owner');
    if (m.role === GroupRole.ADMIN && !owner) throw forbidden('remove admin');
    if (!admin) throw forbidden('remove');
  }
  if (change.roles.length > 0 && !owner) throw forbidden('role');
}

export interface TransitionCheck {
  /** The author's identity as known from pairwise sessions and contacts. */
  readonly identityOf: (user: string) => IdentityPublicKeys | undefined;
}

/**
 * Checks `child` as the successor of `parent`: same group, version + 1,
 * parent hash, the author a member of the parent with the rights for every
 * change, and the author's signature. Throws a ParleyError naming what failed.
 */
export async function validateTransition(
  parent: SignedGroupState,
  child: SignedGroupState,
  check: TransitionCheck,
): Promise<GroupChange> {
  const p = parent.state;
  const c = child.state;
  if (!equalBytes(p.group, c.group)) throw invalid('another group');
  if (c.version !== p.version + 1) throw invalid('version', { expected: p.version + 1 });
  if (!equalBytes(c.previous, parent.hash)) throw invalid('parent hash');
  const role = roleOf(p, c.author);
  if (role === undefined) {
    throw new ParleyError(ErrorCode.GROUP_FORBIDDEN, 'Group change by someone not in the group');
  }
  const change = diffStates(p, c);
  checkPermission(c.author, role, change);
  await verifyAuthor(child, check);
  return change;
}

export async function verifyAuthor(
  signed: SignedGroupState,
  check: TransitionCheck,
): Promise<void> {
  const identity = check.identityOf(signed.state.author);
  if (identity === undefined) {
    throw new ParleyError(
      ErrorCode.SIGNATURE_INVALID,
      "Group state: the author's identity key is unknown",
    );
  }
  await verifyGroupStateSignature(signed, identity);
}

/** Fork choice between two children of one parent: the more powerful author, then the lower hash. */
export function beats(a: SignedGroupState, b: SignedGroupState, parent: GroupState): boolean {
  const ra = roleRank(roleOf(parent, a.state.author) ?? GroupRole.MEMBER);
  const rb = roleRank(roleOf(parent, b.state.author) ?? GroupRole.MEMBER);
  if (ra !== rb) return ra < rb;
  for (let i = 0; i < a.hash.length; i++) {
    const x = a.hash[i] as number;
    const y = b.hash[i] as number;
    if (x !== y) return x < y;
  }
  return false;
}

/** The first state of a new group, authored by its owner. */
export function genesisState(input: {
  readonly group: Bytes;
  readonly owner: string;
  readonly name: string;
  readonly timer: number;
  readonly members: readonly string[];
  readonly at: number;
}): GroupState {
  const members = new Map<string, GroupRole>();
  for (const user of input.members) members.set(user, GroupRole.MEMBER);
  members.set(input.owner, GroupRole.OWNER);
  const state: GroupState = {
    group: input.group,
    version: 1,
    previous: new Uint8Array(GROUP_STATE_HASH_BYTES),
    name: input.name,
    timer: input.timer,
    members: sortMembers([...members].map(([user, role]) => ({ user, role }))),
    author: input.owner,
    at: input.at,
  };
  checkInvariants(state);
  return state;
}

/** The successor of `parent` with `edit` applied (unsigned; the caller signs it). */
export function nextState(
  parent: SignedGroupState,
  author: string,
  at: number,
  edit: (draft: { name: string; timer: number; members: Map<string, GroupRole> }) => void,
): GroupState {
  const draft = {
    name: parent.state.name,
    timer: parent.state.timer,
    members: new Map(parent.state.members.map((m) => [m.user, m.role])),
  };
  edit(draft);
  const state: GroupState = {
    group: parent.state.group,
    version: parent.state.version + 1,
    previous: parent.hash,
    name: draft.name,
    timer: draft.timer,
    members: sortMembers([...draft.members].map(([user, role]) => ({ user, role }))),
    author,
    at,
  };
  checkInvariants(state);
  return state;
}
