/**
 * Group records at rest:
 *
 *   group/<id>            the state chain (head, its history from the first state
 *                         or just its parent, seen hashes, orphans),
 *                         whether we accepted the group, when we joined
 *   gsend/<id>            our sending chain: Sender Keys state (private signing key
 *                         included: vault only), our next sequence number, and the
 *                         member devices that already hold this chain
 *   gkey/<id>/<user>/<d>  a member device's sender key record and the sequence
 *                         number we expect from it next
 *
 * Every write is staged in a Batch, committed with whatever caused it.
 */
import * as v from 'valibot';
import { type Bytes, toHex } from '../../bytes.ts';
import type { SenderKeyRecord, SenderKeyState } from '../../crypto/sender-key-chain.ts';
import {
  deserializeSenderKeyRecord,
  deserializeSenderKeyState,
  serializeSenderKeyRecord,
  serializeSenderKeyState,
} from '../../crypto/sender-key-record.ts';
import type { Batch } from '../store/batch.ts';
import {
  BytesField,
  bytesOf,
  decodeRecord,
  encodeRecord,
  IntField,
} from '../store/record-codec.ts';
import { Keys } from '../store/storage-keys.ts';
import type { RecordStore } from '../store/store.ts';
import type { GroupChain } from './chain.ts';
import { type GroupState, parseSignedGroupState, type SignedGroupState } from './state.ts';

const SignedSchema = v.object({ b: BytesField, s: bytesOf(64) });

const GroupRecordSchema = v.object({
  v: v.literal(2),
  id: bytesOf(16),
  head: SignedSchema,
  ancestors: v.array(SignedSchema),
  complete: v.boolean(),
  seen: v.array(v.string()),
  orphans: v.array(SignedSchema),
  /** We created it, were added by an accepted contact, or accepted it (not a request). */
  accepted: v.boolean(),
  /** Who added us (the author of the state we joined with). */
  addedBy: v.string(),
  joinedAt: IntField,
});

export interface GroupRecord {
  readonly id: Bytes;
  readonly chain: GroupChain;
  readonly accepted: boolean;
  readonly addedBy: string;
  readonly joinedAt: number;
}

export function groupHex(id: Uint8Array): string {
  return toHex(id);
}

function toSigned(s: { b: Uint8Array; s: Uint8Array }): SignedGroupState {
  return parseSignedGroupState(s.b, s.s);
}

function fromSigned(s: SignedGroupState): { b: Bytes; s: Bytes } {
  return { b: s.body, s: s.signature };
}

export async function readGroup(
  batch: Pick<Batch, 'get'>,
  id: Uint8Array,
): Promise<GroupRecord | undefined> {
  const raw = await batch.get(Keys.group(groupHex(id)));
  if (raw === undefined) return undefined;
  return decodeGroupRecord(raw);
}

/**
 * Records of group-state format 1 (before group ids were bound to their
 * creator) read as absent: such a group is gone here and must be created
 * again; its states are refused as GROUP_STATE_VERSION (docs/protocol.md).
 */
function isFormat1Record(raw: Uint8Array): boolean {
  try {
    return (decodeRecord(v.object({ v: v.literal(1) }), raw, 'group') as { v: number }).v === 1;
  } catch {
    return false;
  }
}

export function decodeGroupRecord(raw: Uint8Array): GroupRecord | undefined {
  if (isFormat1Record(raw)) return undefined;
  const r = decodeRecord(GroupRecordSchema, raw, 'group');
  return {
    id: r.id,
    chain: {
      head: toSigned(r.head),
      ancestors: r.ancestors.map(toSigned),
      complete: r.complete,
      seen: r.seen,
      orphans: r.orphans.map(toSigned),
    },
    accepted: r.accepted,
    addedBy: r.addedBy,
    joinedAt: r.joinedAt,
  };
}

export function stageGroup(batch: Batch, record: GroupRecord): void {
  const { chain } = record;
  batch.set(
    Keys.group(groupHex(record.id)),
    encodeRecord({
      v: 2,
      id: record.id,
      head: fromSigned(chain.head),
      ancestors: chain.ancestors.map(fromSigned),
      complete: chain.complete,
      seen: [...chain.seen],
      orphans: chain.orphans.map(fromSigned),
      accepted: record.accepted,
      addedBy: record.addedBy,
      joinedAt: record.joinedAt,
    }),
  );
}

export async function listGroups(records: RecordStore): Promise<GroupRecord[]> {
  const out: GroupRecord[] = [];
  for (const [, raw] of await records.list(Keys.groups)) {
    const record = decodeGroupRecord(raw);
    if (record !== undefined) out.push(record);
  }
  return out;
}

export function isMember(state: GroupState, user: string): boolean {
  return state.members.some((m) => m.user === user);
}

// ---------------------------------------------------------------------------
// Our sending chain

const SenderRecordSchema = v.object({
  v: v.literal(1),
  state: BytesField,
  /** Sequence number of our next group message. */
  seq: IntField,
  /** `<user>/<device>` of member devices that hold the current chain. */
  sent: v.array(v.string()),
});

export interface SenderRecord {
  readonly state: SenderKeyState;
  readonly seq: number;
  readonly sent: readonly string[];
}

export function deviceTag(user: string, device: number): string {
  return `${user}/${device}`;
}

export async function readSender(
  batch: Pick<Batch, 'get'>,
  id: Uint8Array,
): Promise<SenderRecord | undefined> {
  const raw = await batch.get(Keys.groupSender(groupHex(id)));
  if (raw === undefined) return undefined;
  const r = decodeRecord(SenderRecordSchema, raw, 'group sender');
  return { state: await deserializeSenderKeyState(r.state), seq: r.seq, sent: r.sent };
}

export async function stageSender(
  batch: Batch,
  id: Uint8Array,
  record: SenderRecord,
): Promise<void> {
  batch.set(
    Keys.groupSender(groupHex(id)),
    encodeRecord({
      v: 1,
      state: await serializeSenderKeyState(record.state),
      seq: record.seq,
      sent: [...record.sent],
    }),
  );
}

// ---------------------------------------------------------------------------
// Their sending chains

const KeyRecordSchema = v.object({
  v: v.literal(1),
  record: BytesField,
  next: v.optional(IntField),
});

export interface MemberKeyRecord {
  readonly record: SenderKeyRecord;
  /** Sequence number expected next from this device. */
  readonly next?: number;
}

export async function readMemberKey(
  batch: Pick<Batch, 'get'>,
  id: Uint8Array,
  user: string,
  device: number,
): Promise<MemberKeyRecord | undefined> {
  const raw = await batch.get(Keys.groupKey(groupHex(id), user, device));
  if (raw === undefined) return undefined;
  const r = decodeRecord(KeyRecordSchema, raw, 'group member key');
  return {
    record: deserializeSenderKeyRecord(r.record),
    ...(r.next === undefined ? {} : { next: r.next }),
  };
}

export function stageMemberKey(
  batch: Batch,
  id: Uint8Array,
  user: string,
  device: number,
  key: MemberKeyRecord,
): void {
  batch.set(
    Keys.groupKey(groupHex(id), user, device),
    encodeRecord({
      v: 1,
      record: serializeSenderKeyRecord(key.record),
      ...(key.next === undefined ? {} : { next: key.next }),
    }),
  );
}

/** Forgets the sender keys of one member (removed) or of everyone (we left). */
export async function deleteMemberKeys(batch: Batch, id: Uint8Array, user?: string): Promise<void> {
  const hex = groupHex(id);
  const prefix = user === undefined ? Keys.groupKeysOf(hex) : Keys.groupKeysOfUser(hex, user);
  for (const [key] of await batch.records.list(prefix)) batch.delete(key);
}
