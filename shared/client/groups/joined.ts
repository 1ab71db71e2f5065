/**
 * Which members of a group joined, as opposed to being invited and not yet
 * accepting (docs/protocol.md "Joined and invited members"). A signed group
 * state says who is a member, not who accepted: an invitee sends nothing to
 * the group before accepting. So each client keeps its own marker per member,
 * `gjoin/<group>/<user>`, set when authenticated group traffic from that
 * member arrives (a state they signed, their sender key, a group text, a
 * receipt for a group message), for the members who were in the group before
 * us, and cleared when the member is removed.
 */
import * as v from 'valibot';
import type { Batch } from '../store/batch.ts';
import { decodeRecord, encodeRecord, IntField } from '../store/record-codec.ts';
import { Keys } from '../store/storage-keys.ts';
import type { RecordStore } from '../store/store.ts';
import type { GroupState } from './state.ts';
import { groupHex } from './store.ts';

export const JoinedSchema = v.object({ v: v.literal(1), at: IntField });

export type MemberStatus = 'joined' | 'invited';

/** Notes that `user` joined `group` (first evidence wins; later traffic rewrites nothing). */
export async function markJoined(
  batch: Batch,
  group: Uint8Array,
  user: string,
  now: number,
): Promise<void> {
  const key = Keys.groupJoined(groupHex(group), user);
  if ((await batch.get(key)) !== undefined) return;
  batch.set(key, encodeRecord({ v: 1, at: now }));
}

/** Forgets a removed member's marker (added again, they are invited again), or everyone's. */
export async function clearJoined(batch: Batch, group: Uint8Array, user?: string): Promise<void> {
  const hex = groupHex(group);
  if (user !== undefined) {
    batch.delete(Keys.groupJoined(hex, user));
    return;
  }
  for (const [key] of await batch.records.list(Keys.groupJoinedOf(hex))) batch.delete(key);
}

/** The users with a joined marker in `group`. */
export async function readJoined(records: RecordStore, group: Uint8Array): Promise<Set<string>> {
  const prefix = Keys.groupJoinedOf(groupHex(group));
  const out = new Set<string>();
  for (const [key, raw] of await records.list(prefix)) {
    decodeRecord(JoinedSchema, raw, 'group joined');
    out.add(key.slice(prefix.length));
  }
  return out;
}

/**
 * Whether a member joined: we ourselves once the group is accepted (not a
 * request), anyone else once marked.
 */
export function memberStatus(
  user: string,
  context: {
    readonly own: string;
    readonly accepted: boolean;
    readonly joined: ReadonlySet<string>;
  },
): MemberStatus {
  if (user === context.own) return context.accepted ? 'joined' : 'invited';
  return context.joined.has(user) ? 'joined' : 'invited';
}

/**
 * Who we take as joined when a state adds us: the authors of every state in
 * the history we were given (they signed, so they were in) and the members
 * of the state just before the one that added us (they were in the group
 * before us; we cannot tell whether they accepted, and assume they did).
 * Members added together with us stay invited until we hear from them.
 */
type StateShape = Pick<GroupState, 'author' | 'version' | 'members'>;

export function joinedOnArrival(
  history: readonly StateShape[],
  joinedWith: StateShape,
  own: string,
): string[] {
  const users = new Set<string>([joinedWith.author]);
  for (const s of history) users.add(s.author);
  const parent = history.find((s) => s.version === joinedWith.version - 1);
  if (parent !== undefined) for (const m of parent.members) users.add(m.user);
  users.delete(own);
  return [...users];
}

/** How many members of the current state joined (invitees are not counted). */
export async function joinedCount(
  records: RecordStore,
  record: {
    readonly id: Uint8Array;
    readonly accepted: boolean;
    readonly chain: { readonly head: { readonly state: GroupState } };
  },
  own: string | undefined,
): Promise<number> {
  const context = {
    own: own ?? '',
    accepted: record.accepted,
    joined: await readJoined(records, record.id),
  };
  return record.chain.head.state.members.filter((m) => memberStatus(m.user, context) === 'joined')
    .length;
}
