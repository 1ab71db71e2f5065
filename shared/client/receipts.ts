/**
 * Delivery and read receipts, batched. The inbox (delivered) and markRead
 * (read) only stage small `receiptq/<kind>/<author>/<id>` records in the same
 * write as the message change; `flushReceipts` later turns everything pending
 * into one encrypted receipt message per (kind, author) (up to 256 ids each)
 * and queues it in the outbox, deleting the pending records in the same write.
 *
 * Receipts go to the author only if the contact is accepted (not a request)
 * or the message came in a group we accepted, and read receipts only while
 * they are turned on; our own other devices always get read receipts, so
 * reading on one device clears the unread count on the others.
 */

import * as v from 'valibot';
import { fromHex } from '../bytes.ts';
import type { Random } from '../crypto/random.ts';
import type { Batch } from './batch.ts';
import { ContactStatus, readContact } from './contacts.ts';
import { encodeContent, RECEIPT_MAX_IDS, ReceiptKind } from './content.ts';
import { type OutboxEntry, OutboxKind, stageEntry } from './outbox.ts';
import { decodeRecord, encodeRecord, IntField } from './record-codec.ts';
import type { StampClock } from './stamps.ts';
import { Keys } from './storage-keys.ts';

export interface ReceiptContext {
  readonly ownUser: string;
  readonly readReceipts: boolean;
  readonly now: () => number;
  readonly random: Random;
  readonly stamps: StampClock;
}

/**
 * Stages a receipt for message `id` by `author`. `inGroup`: the message came
 * in an accepted group, which allows receipts to its author even when the
 * author is not an accepted contact.
 */
export function stagePendingReceipt(
  batch: Batch,
  kind: ReceiptKind,
  author: string,
  id: Uint8Array,
  now: number,
  inGroup = false,
): void {
  batch.set(
    Keys.pendingReceipt(kind, author, id),
    encodeRecord(inGroup ? { at: now, g: true } : { at: now }),
  );
}

const PendingSchema = v.object({ at: IntField, g: v.optional(v.boolean()) });

/** Turns pending receipts into outbox entries; returns how many entries were queued. */
export async function flushReceipts(ctx: ReceiptContext, batch: Batch): Promise<number> {
  const rows = await batch.records.list(Keys.pendingReceipts);
  if (rows.length === 0) return 0;
  const groups = new Map<
    string,
    { kind: ReceiptKind; author: string; inGroup: boolean; ids: Uint8Array[] }
  >();
  for (const [key, raw] of rows) {
    batch.delete(key);
    let inGroup = false;
    try {
      inGroup = decodeRecord(PendingSchema, raw, 'pending receipt').g === true;
    } catch {
      // An unreadable marker is treated as a direct-chat receipt.
    }
    const [, kind, author, hex] = key.split('/');
    if (
      (kind !== ReceiptKind.DELIVERED && kind !== ReceiptKind.READ) ||
      author === undefined ||
      hex === undefined
    ) {
      continue;
    }
    const groupKey = `${kind}/${author}/${inGroup ? 'g' : 'u'}`;
    let group = groups.get(groupKey);
    if (group === undefined) {
      group = { kind, author, inGroup, ids: [] };
      groups.set(groupKey, group);
    }
    group.ids.push(fromHex(hex));
  }
  let queued = 0;
  for (const { kind, author, inGroup, ids } of groups.values()) {
    const contact = author === ctx.ownUser ? undefined : await readContact(batch, author);
    if (contact?.status === ContactStatus.BLOCKED) continue;
    // Nothing goes to someone whose request we have not accepted (as Signal does).
    const allowed =
      author !== ctx.ownUser && (inGroup || contact?.status === ContactStatus.ACCEPTED);
    const recipients: string[] = [];
    if (kind === ReceiptKind.DELIVERED) {
      if (allowed) recipients.push(author);
    } else {
      if (ctx.readReceipts && allowed) recipients.push(author);
      recipients.push(ctx.ownUser);
    }
    if (recipients.length === 0) continue;
    for (let i = 0; i < ids.length; i += RECEIPT_MAX_IDS) {
      const chunk = ids.slice(i, i + RECEIPT_MAX_IDS) as OutboxEntry['id'][];
      const entry: OutboxEntry = {
        v: 1,
        id: ctx.random(16) as OutboxEntry['id'],
        stamp: await ctx.stamps.next(batch),
        kind: OutboxKind.RECEIPT,
        content: encodeContent({ v: 1, t: 'receipt', kind, author, ids: chunk }),
        recipients,
        mismatches: 0,
        attempts: 0,
        createdAt: ctx.now(),
      };
      stageEntry(batch, entry);
      queued++;
    }
  }
  return queued;
}
