/**
 * Delivery and read receipts, batched. The inbox (delivered) and markRead
 * (read) only stage small `receiptq/<kind>/<author>/<id>` records in the same
 * write as the message change; `flushReceipts` later turns everything pending
 * into one encrypted receipt message per (kind, author) (up to 256 ids each)
 * and queues it in the outbox, deleting the pending records in the same write.
 *
 * Read receipts go to the author only if read receipts are on and the
 * contact is accepted (not a request); our own other devices always get them,
 * so reading on one device clears the unread count on the others.
 */

import { fromHex } from '../bytes.ts';
import type { Random } from '../crypto/random.ts';
import type { Batch } from './batch.ts';
import { ContactStatus, readContact } from './contacts.ts';
import { encodeContent, RECEIPT_MAX_IDS, ReceiptKind } from './content.ts';
import { type OutboxEntry, OutboxKind, stageEntry } from './outbox.ts';
import { encodeRecord } from './record-codec.ts';
import type { StampClock } from './stamps.ts';
import { Keys } from './storage-keys.ts';

export interface ReceiptContext {
  readonly ownUser: string;
  readonly readReceipts: boolean;
  readonly now: () => number;
  readonly random: Random;
  readonly stamps: StampClock;
}

export function stagePendingReceipt(
  batch: Batch,
  kind: ReceiptKind,
  author: string,
  id: Uint8Array,
  now: number,
): void {
  batch.set(Keys.pendingReceipt(kind, author, id), encodeRecord({ at: now }));
}

/** Turns pending receipts into outbox entries; returns how many entries were queued. */
export async function flushReceipts(ctx: ReceiptContext, batch: Batch): Promise<number> {
  const rows = await batch.records.list(Keys.pendingReceipts);
  if (rows.length === 0) return 0;
  const groups = new Map<string, { kind: ReceiptKind; author: string; ids: Uint8Array[] }>();
  for (const [key] of rows) {
    batch.delete(key);
    const [, kind, author, hex] = key.split('/');
    if (
      (kind !== ReceiptKind.DELIVERED && kind !== ReceiptKind.READ) ||
      author === undefined ||
      hex === undefined
    ) {
      continue;
    }
    const groupKey = `${kind}/${author}`;
    let group = groups.get(groupKey);
    if (group === undefined) {
      group = { kind, author, ids: [] };
      groups.set(groupKey, group);
    }
    group.ids.push(fromHex(hex));
  }
  let queued = 0;
  for (const { kind, author, ids } of groups.values()) {
    const contact = author === ctx.ownUser ? undefined : await readContact(batch, author);
    if (contact?.status === ContactStatus.BLOCKED) continue;
    const recipients: string[] = [];
    if (kind === ReceiptKind.DELIVERED) {
      if (author !== ctx.ownUser) recipients.push(author);
    } else {
      if (ctx.readReceipts && contact?.status === ContactStatus.ACCEPTED) recipients.push(author);
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
