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
 * PARKED_MAX_AGE_MS. Caps per group and overall bound what junk sent to us
 * can occupy; beyond them a message is dropped, as it was before parking.
 */
import * as v from 'valibot';
import type { Bytes } from '../../bytes.ts';
import type { Batch } from '../batch.ts';
import type { SenderKeyContent } from '../content.ts';
import { BytesField, bytesOf, decodeRecord, encodeRecord, IntField } from '../record-codec.ts';
import type { StampClock } from '../stamps.ts';
import { Keys } from '../storage-keys.ts';
import { groupHex } from './store.ts';

export const PARKED_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;
export const MAX_PARKED_PER_GROUP = 200;
export const MAX_PARKED_TOTAL = 1000;

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

/** Parks `item` for `group`; false when a cap is reached (the caller drops it). */
export async function park(
  deps: { readonly stamps: StampClock; readonly now: number },
  batch: Batch,
  group: Uint8Array,
  item: Parked,
): Promise<boolean> {
  const hex = groupHex(group);
  // One listing serves both caps: below the total cap it holds every group's items.
  const all = await batch.records.list(Keys.groupParkedAll, { limit: MAX_PARKED_TOTAL });
  if (all.length >= MAX_PARKED_TOTAL) return false;
  const prefix = Keys.groupParkedOf(hex);
  if (all.filter(([key]) => key.startsWith(prefix)).length >= MAX_PARKED_PER_GROUP) return false;
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
