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
 *   {v: 2, g: group id 16, n: version, p: SHA-256 of the parent body (zeros for
 *    version 1), name, timer: ms, m: [[user id 16 bytes, role code], ...] sorted,
 *    a: [[user id 16 bytes, Ed25519 identity key 32], ...] of the owner and every
 *    admin, sorted, k: 16-byte nonce (version 1 only), by: author user id 16
 *    bytes, at: ms}
 *
 * The group id is bound to its creator: g = SHA-256(GROUP_ID label, owner id,
 * owner key, k)[0..16], checked on the genesis state, whose signature must
 * verify with that key. Every later state is signed with the key its parent
 * lists for the author (admins) or, for a member leaving, the key the reader
 * trusts for them; so authority always traces back to the creator's key.
 *
 * Pure apart from the Ed25519 calls (WebCrypto is async).
 */
import * as v from 'valibot';
import { type Bytes, concat, equalBytes, fromHex, toHex, utf8 } from '../../bytes.ts';
import { signWithContext, verifyWithContext } from '../../crypto/ed25519.ts';
import type { IdentityPublicKeys } from '../../crypto/identity.ts';
import { sha256Digest } from '../../crypto/kdf.ts';
import { Label, SignatureContext } from '../../crypto/labels.ts';
import { ErrorCode, fail, ParleyError } from '../../errors.ts';
import { decodeCbor, encodeCbor } from '../../wire/cbor.ts';
import { GROUP_MAX_MEMBERS } from '../../wire/limits.ts';

export const GROUP_ID_BYTES = 16;
export const GROUP_NONCE_BYTES = 16;
export const GROUP_KEY_BYTES = 32;
/** The state body format; bodies of format 1 (no creator binding) are refused as GROUP_STATE_VERSION. */
export const GROUP_STATE_FORMAT = 2;
export const GROUP_STATE_HASH_BYTES = 32;
export const GROUP_NAME_MAX_CHARS = 64;
/** States an invitation's history may list (its bytes are capped in chain.ts). */
export const GROUP_HISTORY_MAX_STATES = 512;
/** 256 members: ~5.3 KB; with every one of them an admin (keys listed): ~19 KB. */
export const GROUP_STATE_MAX_BYTES = 20 * 1024;

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

/** An owner's or admin's Ed25519 identity signing key, as the state's author vouches for it. */
export interface GroupKey {
  readonly user: string;
  readonly key: Bytes;
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
  /** Sorted by user id: exactly the owner and the admins. */
  readonly keys: readonly GroupKey[];
  /** Version 1 only: the nonce the group id is derived from. */
  readonly nonce?: Bytes;
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
  const admins = state.members.filter((m) => isAdminRole(m.role));
  if (state.keys.length !== admins.length) throw invalid('keys');
  for (let i = 0; i < state.keys.length; i++) {
    const k = state.keys[i] as GroupKey;
    if (k.user !== (admins[i] as GroupMember).user || k.key.length !== GROUP_KEY_BYTES) {
      throw invalid('keys');
    }
  }
  if ((state.version === 1) !== (state.nonce !== undefined)) throw invalid('nonce');
  if (state.nonce !== undefined && state.nonce.length !== GROUP_NONCE_BYTES) {
    throw invalid('nonce');
  }
  if (!Number.isSafeInteger(state.at) || state.at < 0) throw invalid('time');
}

/** The key `state` lists for `user` (owner or admin), if any. */
export function keyOf(state: GroupState, user: string): Bytes | undefined {
  return state.keys.find((k) => k.user === user)?.key;
}

/** The group id a creator's (user, key, nonce) commits to. */
export function groupIdFor(owner: string, key: Uint8Array, nonce: Uint8Array): Bytes {
  const digest = sha256Digest(concat(utf8(Label.GROUP_ID), userIdToBytes(owner), key, nonce));
  return digest.slice(0, GROUP_ID_BYTES);
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

const Bytes16 = v.pipe(v.instance(Uint8Array), v.length(16));

const BodySchema = v.strictObject({
  v: v.literal(GROUP_STATE_FORMAT),
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
  a: v.pipe(
    v.array(v.tuple([Bytes16, v.pipe(v.instance(Uint8Array), v.length(GROUP_KEY_BYTES))])),
    v.maxLength(GROUP_MAX_MEMBERS),
  ),
  k: v.optional(v.pipe(v.instance(Uint8Array), v.length(GROUP_NONCE_BYTES))),
  by: v.pipe(v.instance(Uint8Array), v.length(16)),
  at: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
});

export function encodeGroupState(state: GroupState): Bytes {
  checkInvariants(state);
  const body = encodeCbor({
    v: GROUP_STATE_FORMAT,
    g: state.group,
    n: state.version,
    p: state.previous,
    name: state.name,
    timer: state.timer,
    m: state.members.map((m) => [userIdToBytes(m.user), roleRank(m.role)]),
    a: state.keys.map((k) => [userIdToBytes(k.user), k.key]),
    ...(state.nonce === undefined ? {} : { k: state.nonce }),
    by: userIdToBytes(state.author),
    at: state.at,
  });
  if (body.length > GROUP_STATE_MAX_BYTES) throw invalid('too large');
  return body;
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
  if (isFormat1(raw)) {
    throw new ParleyError(
      ErrorCode.GROUP_STATE_VERSION,
      'Group state format 1 is no longer supported (groups must be created again)',
      { format: 1 },
    );
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
    keys: b.a.map(([user, key]) => ({ user: userIdFromBytes(user), key: key.slice() })),
    ...(b.k === undefined ? {} : { nonce: b.k.slice() }),
    author: userIdFromBytes(b.by),
    at: b.at,
  };
  checkInvariants(state);
  // One spelling per state: the hash must name exactly these bytes.
  if (!equalBytes(encodeGroupState(state), body)) throw invalid('not canonical');
  return state;
}

function isFormat1(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && (raw as { v?: unknown }).v === 1;
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
  key: Uint8Array,
): Promise<void> {
  return verifyWithContext(
    key,
    signed.signature,
    'Group state',
    SignatureContext.GROUP_STATE,
    signed.body,
  );
}

/**
 * The first state of a group: version 1, by its owner, signed with the key it
 * lists for the owner, and the group id is the hash of (owner, that key,
 * nonce). Nobody but the holder of that key can make a first state of this
 * id, so everything that chains from it traces back to the creator.
 */
export async function verifyGenesis(signed: SignedGroupState): Promise<void> {
  const s = signed.state;
  if (s.version !== 1 || s.nonce === undefined) throw invalid('not a first state');
  const key = keyOf(s, s.author);
  if (roleOf(s, s.author) !== GroupRole.OWNER || key === undefined) {
    throw forbidden('first state not by its owner');
  }
  if (!equalBytes(groupIdFor(s.author, key, s.nonce), s.group)) {
    throw forbidden('group id not bound to this owner');
  }
  await verifyGroupStateSignature(signed, key);
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
  /** Owners/admins in both states whose listed key changed. */
  readonly rekeyed: readonly string[];
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
  const rekeyed: string[] = [];
  for (const k of child.keys) {
    const was = keyOf(parent, k.user);
    if (was !== undefined && !equalBytes(was, k.key)) rekeyed.push(k.user);
  }
  return {
    ...(parent.name === child.name ? {} : { name: { from: parent.name, to: child.name } }),
    ...(parent.timer === child.timer ? {} : { timer: { from: parent.timer, to: child.timer } }),
    added,
    removed,
    roles,
    rekeyed,
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
  if (change.rekeyed.length > 0 && !owner) throw forbidden('key');
}

export interface TransitionCheck {
  /** The author's identity as known from pairwise sessions and contacts. */
  readonly identityOf: (user: string) => IdentityPublicKeys | undefined;
  /**
   * Inside a history that ends in a verified admin's state (chain.ts
   * adoptChain): a plain member's state whose author we have no key for is
   * let through unsigned-checked. The permission table allows a member only
   * to leave, and the later admin state commits to it by hash.
   */
  readonly unverifiedLeaves?: boolean;
}

/**
 * Checks `child` as the successor of `parent`: same group, version + 1,
 * parent hash, the author a member of the parent with the rights for every
 * change, and the author's signature (with the key the parent lists for an
 * owner/admin, else the key we trust for that user). Throws a ParleyError
 * naming what failed.
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
  const listed = keyOf(p, c.author);
  if (listed !== undefined) {
    await verifyGroupStateSignature(child, listed);
  } else if (!(check.unverifiedLeaves === true && check.identityOf(c.author) === undefined)) {
    await verifyAuthor(child, check);
  }
  return change;
}

/** The signature with the identity key we trust for the author (pairwise sessions). */
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
  await verifyGroupStateSignature(signed, identity.signing);
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

/** The first state of a new group, authored by its owner; the id derives from owner, key and nonce. */
export function genesisState(input: {
  readonly nonce: Bytes;
  readonly owner: string;
  /** The owner's Ed25519 identity signing key (what the genesis state is signed with). */
  readonly ownerKey: Bytes;
  readonly name: string;
  readonly timer: number;
  readonly members: readonly string[];
  readonly at: number;
}): GroupState {
  const members = new Map<string, GroupRole>();
  for (const user of input.members) members.set(user, GroupRole.MEMBER);
  members.set(input.owner, GroupRole.OWNER);
  const state: GroupState = {
    group: groupIdFor(input.owner, input.ownerKey, input.nonce),
    version: 1,
    previous: new Uint8Array(GROUP_STATE_HASH_BYTES),
    name: input.name,
    timer: input.timer,
    members: sortMembers([...members].map(([user, role]) => ({ user, role }))),
    keys: [{ user: input.owner, key: input.ownerKey }],
    nonce: input.nonce,
    author: input.owner,
    at: input.at,
  };
  checkInvariants(state);
  return state;
}

/**
 * The successor of `parent` with `edit` applied (unsigned; the caller signs
 * it). Owners/admins keep the key the parent lists for them; a new one gets
 * `keyFor(user)` (the identity key we trust for them), else GROUP_KEY_UNKNOWN.
 */
export function nextState(
  parent: SignedGroupState,
  author: string,
  at: number,
  edit: (draft: { name: string; timer: number; members: Map<string, GroupRole> }) => void,
  keyFor: (user: string) => Bytes | undefined = () => undefined,
): GroupState {
  const draft = {
    name: parent.state.name,
    timer: parent.state.timer,
    members: new Map(parent.state.members.map((m) => [m.user, m.role])),
  };
  edit(draft);
  const members = sortMembers([...draft.members].map(([user, role]) => ({ user, role })));
  const keys: GroupKey[] = [];
  for (const m of members) {
    if (!isAdminRole(m.role)) continue;
    const key = keyOf(parent.state, m.user) ?? keyFor(m.user);
    if (key === undefined) {
      fail(ErrorCode.GROUP_KEY_UNKNOWN, "A new admin's identity key is unknown here");
    }
    keys.push({ user: m.user, key });
  }
  const state: GroupState = {
    group: parent.state.group,
    version: parent.state.version + 1,
    previous: parent.hash,
    name: draft.name,
    timer: draft.timer,
    members,
    keys,
    author,
    at,
  };
  checkInvariants(state);
  return state;
}
