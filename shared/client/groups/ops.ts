/**
 * Changing a group from this device: build the successor state, sign it with
 * our identity key, run it through the same checks every member runs
 * (chain.ts: version, parent, permissions, signature), apply it locally and
 * queue it to every member of the old and the new state (so a removed member
 * learns it was removed) and to our other devices, over the pairwise sessions.
 *
 * A state with 256 members is ~5 KB; encrypted for up to 8 devices per user
 * it would not fit one 1 MiB frame, so the update is split into entries of a
 * few users each. They are barrier entries: nothing queued later is sent
 * before the relay stored them.
 */
import type { Bytes } from '../../bytes.ts';
import { ErrorCode, fail } from '../../errors.ts';
import { MAX_DEVICES_PER_USER } from '../../wire/limits.ts';
import { contactIdentity, readContact } from '../contacts/contacts.ts';
import type { InboxEffect } from '../effects.ts';
import { newOutboxEntry, type OutboxEntry, OutboxKind, stageEntry } from '../outbox/outbox.ts';
import { encodeContent } from '../sessions/content.ts';
import type { Batch } from '../store/batch.ts';
import { addToChain, historyOf, startChain } from './chain.ts';
import { applyGroupChange, type GroupHost } from './membership.ts';
import {
  GROUP_NONCE_BYTES,
  type GroupRole,
  type GroupState,
  genesisState,
  nextState,
  type SignedGroupState,
  signGroupState,
} from './state.ts';
import { type GroupRecord, isMember, readGroup } from './store.ts';

/** Bytes of encrypted group updates per send frame (the frame cap is 1 MiB). */
const UPDATE_FRAME_BUDGET = 768 * 1024;
/** A prekey message adds ~1.4 KB (KEM ciphertext, identity, keys) to a body. */
const PER_DEVICE_OVERHEAD = 1600;

export interface GroupEdit {
  name: string;
  timer: number;
  members: Map<string, GroupRole>;
}

/**
 * Queues `signed` to `recipients` (users; our own means our other devices) in
 * barrier entries; with `history` (the states before it, from the first) for
 * readers who do not hold the chain yet.
 */
export async function queueGroupUpdate(
  host: GroupHost,
  batch: Batch,
  signed: SignedGroupState,
  recipients: readonly string[],
  history?: readonly SignedGroupState[],
): Promise<void> {
  if (recipients.length === 0) return;
  const { deps } = host.sessions;
  const content = encodeContent({
    v: 1,
    t: 'group-update',
    g: signed.state.group,
    body: signed.body,
    sig: signed.signature,
    // Members who never talked to us learn our handle with the state that adds them.
    fh: host.sessions.account.handle,
    ...(history === undefined ? {} : { h: history.map((s) => ({ b: s.body, s: s.signature })) }),
  });
  const perUser = MAX_DEVICES_PER_USER * (content.length + PER_DEVICE_OVERHEAD);
  const chunk = Math.max(1, Math.floor(UPDATE_FRAME_BUDGET / perUser));
  for (let i = 0; i < recipients.length; i += chunk) {
    const entry = newOutboxEntry({
      id: deps.random(16) as OutboxEntry['id'],
      stamp: await host.stamps.next(batch),
      kind: OutboxKind.GROUP_UPDATE,
      group: signed.state.group,
      content,
      recipients: recipients.slice(i, i + chunk),
      createdAt: deps.now(),
    });
    stageEntry(batch, entry);
  }
}

function recipientsOf(before: GroupState | undefined, after: GroupState): string[] {
  const users = new Set(after.members.map((m) => m.user));
  for (const m of before?.members ?? []) users.add(m.user);
  return [...users];
}

/** Who needs the history with this state: members it adds, and our own other devices. */
function joinersOf(before: GroupState, after: GroupState, own: string): Set<string> {
  const out = new Set([own]);
  for (const m of after.members) if (!isMember(before, m.user)) out.add(m.user);
  return out;
}

/** The identity signing key we trust for `user` (a new admin's key in the state). */
async function trustedKey(host: GroupHost, batch: Batch, user: string) {
  if (user === host.sessions.account.userId) return host.sessions.account.publicIdentity.signing;
  const contact = await readContact(batch, user);
  return contact === undefined ? undefined : contactIdentity(contact)?.signing;
}

/** Keys we trust for everyone in `users` (nextState's keyFor is synchronous). */
export async function trustedKeys(
  host: GroupHost,
  batch: Batch,
  users: Iterable<string>,
): Promise<(user: string) => Bytes | undefined> {
  const keys = new Map<string, Bytes>();
  for (const user of users) {
    const key = await trustedKey(host, batch, user);
    if (key !== undefined) keys.set(user, key);
  }
  return (user) => keys.get(user);
}

/** Creates a group with us as owner; queues its first state to the members. */
export async function createGroup(
  host: GroupHost,
  batch: Batch,
  input: { readonly name: string; readonly members: readonly string[]; readonly timer: number },
): Promise<{ readonly group: Bytes; readonly effects: InboxEffect[] }> {
  const ctx = host.sessions;
  const own = ctx.account.userId;
  const state = genesisState({
    nonce: ctx.deps.random(GROUP_NONCE_BYTES) as Bytes,
    owner: own,
    ownerKey: ctx.account.publicIdentity.signing,
    name: input.name,
    timer: input.timer,
    members: input.members,
    at: ctx.deps.now(),
  });
  const group = state.group;
  const signed = await signGroupState(ctx.account.identity.signing.privateKey, state);
  const record: GroupRecord = {
    id: group,
    chain: startChain(signed),
    accepted: true,
    addedBy: own,
    joinedAt: ctx.deps.now(),
  };
  const effects = await applyGroupChange(host, batch, {
    record,
    before: undefined,
    applied: [],
    superseded: [],
    joined: signed,
  });
  await queueGroupUpdate(host, batch, signed, recipientsOf(undefined, state));
  return { group, effects };
}

/**
 * Applies `edit` to the current state as a new signed state, checked exactly
 * as members will check it (a forbidden change throws GROUP_FORBIDDEN and
 * changes nothing).
 */
export async function changeGroup(
  host: GroupHost,
  batch: Batch,
  group: Uint8Array,
  edit: (draft: GroupEdit) => void,
): Promise<InboxEffect[]> {
  const ctx = host.sessions;
  const own = ctx.account.userId;
  const record = await readGroup(batch, group);
  if (record === undefined || !isMember(record.chain.head.state, own)) {
    fail(ErrorCode.GROUP_NOT_MEMBER, 'You are not a member of this group');
  }
  const head = record.chain.head;
  const draft: GroupEdit = {
    name: head.state.name,
    timer: head.state.timer,
    members: new Map(head.state.members.map((m) => [m.user, m.role])),
  };
  edit(draft);
  // New admins are listed with the identity key we trust for them (the state's readers check their changes with it).
  const keyFor = await trustedKeys(host, batch, draft.members.keys());
  const state = nextState(
    head,
    own,
    ctx.deps.now(),
    (d) => {
      d.name = draft.name;
      d.timer = draft.timer;
      d.members = draft.members;
    },
    keyFor,
  );
  const signed = await signGroupState(ctx.account.identity.signing.privateKey, state);
  const outcome = await addToChain(record.chain, signed, {
    identityOf: (user) => (user === own ? ctx.account.publicIdentity : undefined),
  });
  if (outcome.kind === 'rejected') throw outcome.error;
  if (outcome.kind !== 'accepted') fail(ErrorCode.GROUP_STATE_INVALID, 'Group change not applied');
  const joiners = joinersOf(head.state, state, own);
  // Members this state adds verify it from the group's first state: refuse (nothing applied) if that no longer fits.
  const history = joiners.size > 1 || outcome.chain.complete ? historyOf(outcome.chain) : undefined;
  const effects = await applyGroupChange(host, batch, {
    record: { ...record, chain: outcome.chain },
    before: head.state,
    applied: outcome.applied,
    superseded: outcome.superseded,
  });
  const all = recipientsOf(head.state, state);
  await queueGroupUpdate(
    host,
    batch,
    signed,
    all.filter((u) => !joiners.has(u)),
  );
  await queueGroupUpdate(
    host,
    batch,
    signed,
    all.filter((u) => joiners.has(u)),
    history,
  );
  return effects;
}

/**
 * Sends an arbitrary state signed with our identity key, without checking or
 * applying it (tests: forged, replayed and stale states must be refused by
 * the members, not just by the author's client).
 */
export async function sendRawGroupState(
  host: GroupHost,
  batch: Batch,
  state: GroupState | SignedGroupState,
  recipients: readonly string[],
  history?: readonly SignedGroupState[],
): Promise<SignedGroupState> {
  const signed =
    'signature' in state
      ? state
      : await signGroupState(host.sessions.account.identity.signing.privateKey, state);
  await queueGroupUpdate(host, batch, signed, recipients, history);
  return signed;
}
