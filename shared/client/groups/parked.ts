/**
 * Group traffic that arrives before the state that explains it. States travel
 * pairwise from their author and group messages from each sender, so nothing
 * orders one author's update before another member's first message: a member
 * who was just added can hear from the others before the admin's state that
 * adds it (or adds them) arrives, e.g. when that state is still in the
 * admin's outbox. Dropping such a message would lose it; accepting it would
 * let the relay, or anyone, speak in a group they are not in.
 *
 * So it is parked: kept (sealed like every record) until a signed state makes
 * its sender a member, then replayed in arrival order, or dropped after
 * PARKED_MAX_AGE_MS. Only traffic from someone we have a pairwise session
 * with is parked at all (receive.ts admission); caps per
 * sender, per group and overall bound what junk can occupy, and when one is
 * reached the oldest item of the sender holding the most goes: a flooder
 * pushes out its own items, not a genuine member's one early message.
 */
import * as v from 'valibot';
import type { Bytes } from '../../bytes.ts';
import { decodeCbor } from '../../wire/cbor.ts';
import type { SenderKeyContent } from '../sessions/content.ts';
import type { Batch } from '../store/batch.ts';
import {
  BytesField,
  bytesOf,
  decodeRecord,
  encodeRecord,
  IntField,
} from '../store/record-codec.ts';
import type { StampClock } from '../store/stamps.ts';
import { Keys } from '../store/storage-keys.ts';
import { groupHex } from './store.ts';

export const PARKED_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;
export const MAX_PARKED_PER_GROUP = 200;
export const MAX_PARKED_TOTAL = 1000;
export const MAX_PARKED_PER_SENDER = 50;

const ParkedSchema = v.variant('kind', [
  v.object({
    v: v.literal(1),
    kind: v.literal('message'),
    at: IntField,
    id: bytesOf(16),
    from: v.string(),
    fromDevice: IntField,
    body: BytesField,
    sentAt: IntField,
  }),
  v.object({
    v: v.literal(1),
    kind: v.literal('sender-key'),
    at: IntField,
    from: v.string(),
    fromDevice: IntField,
    dist: BytesField,
    seq: IntField,
  }),
]);

type ParkedRecord = v.InferOutput<typeof ParkedSchema>;

export interface ParkedMessage {
  readonly kind: 'message';
  readonly id: Bytes;
  readonly from: string;
  readonly fromDevice: number;
  readonly body: Bytes;
  readonly sentAt: number;
}

export interface ParkedSenderKey {
  readonly kind: 'sender-key';
  readonly from: string;
  readonly fromDevice: number;
  readonly content: SenderKeyContent;
}

export type Parked = ParkedMessage | ParkedSenderKey;

interface Slot {
  readonly key: string;
  readonly group: string;
  readonly from: string;
}

const FromSchema = v.object({ from: v.string() });

/** The slot to free among `slots` (which include the incoming one, key ''): the oldest of the sender holding the most. */
function victim(slots: readonly Slot[]): Slot | undefined {
  const counts = new Map<string, number>();
  for (const s of slots) counts.set(s.from, (counts.get(s.from) ?? 0) + 1);
  let top: string | undefined;
  for (const [from, n] of counts) if (top === undefined || n > (counts.get(top) ?? 0)) top = from;
  // Keys sort by group then stamp: the oldest is the lowest stamp suffix.
  const stamp = (k: string) => k.slice(k.lastIndexOf('/') + 1);
  return slots
    .filter((s) => s.from === top)
    .sort((x, y) => (stamp(x.key) < stamp(y.key) ? -1 : 1))
    .at(0);
}

/**
 * Parks `item` for `group`. At a cap (per sender, per group, overall) the
 * oldest item of the sender with the most items in that scope is deleted
 * first; false when that would be the incoming item itself (it is dropped).
 */
export async function park(
  deps: { readonly stamps: StampClock; readonly now: number },
  batch: Batch,
  group: Uint8Array,
  item: Parked,
): Promise<boolean> {
  const hex = groupHex(group);
  const slots: Slot[] = [];
  for (const [key, raw] of await batch.records.list(Keys.groupParkedAll)) {
    if (batch.has(key)) continue; // taken or evicted in this batch
    const parsed = v.safeParse(FromSchema, decodeCbor(raw));
    const from = parsed.success ? parsed.output.from : '';
    slots.push({ key, group: key.slice(Keys.groupParkedAll.length).split('/')[0] ?? '', from });
  }
  // The incoming item sorts after every stored one (key '~' > any stamp).
  const incoming: Slot = { key: `${Keys.groupParkedOf(hex)}~`, group: hex, from: item.from };
  const scopes: Array<[readonly Slot[], number]> = [
    [slots.filter((s) => s.from === item.from), MAX_PARKED_PER_SENDER],
    [slots.filter((s) => s.group === hex), MAX_PARKED_PER_GROUP],
    [slots, MAX_PARKED_TOTAL],
  ];
  const evicted = new Set<string>();
  for (const [scope, cap] of scopes) {
    const live = scope.filter((s) => !evicted.has(s.key));
    if (live.length < cap) continue;
    const out = victim([...live, incoming]);
    if (out === undefined || out === incoming) return false;
    evicted.add(out.key);
  }
  for (const key of evicted) batch.delete(key);
  const stamp = await deps.stamps.next(batch);
  const record =
    item.kind === 'message'
      ? { v: 1, at: deps.now, ...item }
      : {
          v: 1,
          at: deps.now,
          kind: item.kind,
          from: item.from,
          fromDevice: item.fromDevice,
          dist: item.content.dist,
          seq: item.content.seq,
        };
  batch.set(Keys.groupParked(hex, stamp), encodeRecord(record));
  return true;
}

function itemOf(group: Uint8Array, r: ParkedRecord): Parked {
  if (r.kind === 'message') {
    return {
      kind: 'message',
      id: r.id,
      from: r.from,
      fromDevice: r.fromDevice,
      body: r.body,
      sentAt: r.sentAt,
    };
  }
  return {
    kind: 'sender-key',
    from: r.from,
    fromDevice: r.fromDevice,
    content: { v: 1, t: 'sender-key', g: group as SenderKeyContent['g'], dist: r.dist, seq: r.seq },
  };
}

/**
 * What is parked for `group`, oldest first, each with `take()` (stages its
 * deletion: call it when replaying). Expired items are deleted on the way.
 */
export async function parkedFor(
  batch: Batch,
  group: Uint8Array,
  now: number,
): Promise<Array<{ readonly item: Parked; readonly take: () => void }>> {
  const out: Array<{ readonly item: Parked; readonly take: () => void }> = [];
  for (const [key, raw] of await batch.records.list(Keys.groupParkedOf(groupHex(group)))) {
    if (batch.has(key)) continue; // already taken in this batch
    const record = decodeRecord(ParkedSchema, raw, 'parked group message');
    if (now - record.at >= PARKED_MAX_AGE_MS) {
      batch.delete(key);
      continue;
    }
    out.push({ item: itemOf(group, record), take: () => batch.delete(key) });
  }
  return out;
}
