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
 *
 * Before a request (or group invitation) is accepted nothing reaches the
 * author (privacy, as Signal does), but the receipts are not lost: the flush
 * moves them to `receipth/<u:user | g:group>/...`, and accepting (or replying,
 * or writing in the group) calls `releaseHeldReceipts`, which puts them back
 * in the queue, so the author's "stored" becomes delivered and read.
 */

import * as v from 'valibot';
import { fromHex, toHex } from '../../bytes.ts';
import type { Random } from '../../crypto/random.ts';
import { ContactStatus, readContact } from '../contacts/contacts.ts';
import { readGroup } from '../groups/store.ts';
import { newOutboxEntry, type OutboxEntry, OutboxKind, stageEntry } from '../outbox/outbox.ts';
import { encodeContent, RECEIPT_MAX_IDS, ReceiptKind } from '../sessions/content.ts';
import type { Batch } from '../store/batch.ts';
import { decodeRecord, encodeRecord, IntField } from '../store/record-codec.ts';
import type { StampClock } from '../store/stamps.ts';
import { Keys } from '../store/storage-keys.ts';

export interface ReceiptContext {
  readonly ownUser: string;
  readonly readReceipts: boolean;
  readonly now: () => number;
  readonly random: Random;
  readonly stamps: StampClock;
}

/**
 * Stages a receipt for message `id` by `author`. `group`: the id of the group
 * the message came in (receipts to its author then depend on whether we
 * accepted the group, not on the author being an accepted contact).
 */
export function stagePendingReceipt(
  batch: Batch,
  kind: ReceiptKind,
  author: string,
  id: Uint8Array,
  now: number,
  group?: Uint8Array,
): void {
  batch.set(
    Keys.pendingReceipt(kind, author, id),
    encodeRecord(group === undefined ? { at: now } : { at: now, gh: toHex(group) }),
  );
}

const PendingSchema = v.object({
  at: IntField,
  /** Legacy marker: the message came in a group accepted when it arrived. */
  g: v.optional(v.boolean()),
  /** The group the message came in. */
  gh: v.optional(v.pipe(v.string(), v.regex(/^[0-9a-f]{32}$/))),
  /** Our own devices already have this (read) receipt: it was held only for the author. */
  own: v.optional(v.boolean()),
});
type Pending = v.InferOutput<typeof PendingSchema>;

/** A message request (its author) or a group invitation (the group id). */
export type HeldSubject = { readonly user: string } | { readonly group: Uint8Array };

function subjectKey(subject: HeldSubject): string {
  return 'user' in subject ? `u:${subject.user}` : `g:${toHex(subject.group)}`;
}

/** What has to be accepted before a held receipt may go out. */
function subjectOf(author: string, pending: Pending): string {
  return pending.gh === undefined ? `u:${author}` : `g:${pending.gh}`;
}

/**
 * A request or group invitation was accepted (or answered): its held receipts
 * go back into the queue; the caller schedules a flush after committing.
 */
export async function releaseHeldReceipts(batch: Batch, subject: HeldSubject): Promise<number> {
  const prefix = Keys.heldReceipts(subjectKey(subject));
  const rows = await batch.records.list(prefix);
  for (const [key, raw] of rows) {
    batch.delete(key);
    const [kind, author, hex] = key.slice(prefix.length).split('/');
    if (kind === undefined || author === undefined || hex === undefined) continue;
    batch.set(`${Keys.pendingReceipts}${kind}/${author}/${hex}`, raw);
  }
  return rows.length;
}

/**
 * The request was deleted or its author blocked: the receipts held for it are
 * dropped, so accepting a later request from them reveals nothing about what
 * arrived (or was read) before.
 */
export async function dropHeldReceipts(batch: Batch, subject: HeldSubject): Promise<number> {
  const rows = await batch.records.list(Keys.heldReceipts(subjectKey(subject)));
  for (const [key] of rows) batch.delete(key);
  return rows.length;
}

/** Turns pending receipts into outbox entries; returns how many entries were queued. */
export async function flushReceipts(ctx: ReceiptContext, batch: Batch): Promise<number> {
  const rows = await batch.records.list(Keys.pendingReceipts);
  if (rows.length === 0) return 0;
  const groups = new Map<
    string,
    { kind: ReceiptKind; author: string; pending: Pending; ids: Uint8Array[] }
  >();
  for (const [key, raw] of rows) {
    batch.delete(key);
    let pending: Pending = { at: 0 };
    try {
      pending = decodeRecord(PendingSchema, raw, 'pending receipt');
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
    const groupKey = `${kind}/${author}/${pending.g === true ? 'g' : (pending.gh ?? 'u')}/${pending.own === true ? 'o' : ''}`;
    let group = groups.get(groupKey);
    if (group === undefined) {
      group = { kind, author, pending, ids: [] };
      groups.set(groupKey, group);
    }
    group.ids.push(fromHex(hex));
  }
  let queued = 0;
  for (const { kind, author, pending, ids } of groups.values()) {
    const contact = author === ctx.ownUser ? undefined : await readContact(batch, author);
    if (contact?.status === ContactStatus.BLOCKED) continue;
    // Nothing goes to someone whose request we have not accepted (as Signal does).
    let allowed = pending.g === true || contact?.status === ContactStatus.ACCEPTED;
    if (pending.gh !== undefined) {
      allowed = (await readGroup(batch, fromHex(pending.gh)))?.accepted === true;
    }
    if (author === ctx.ownUser) allowed = false;
    const wanted = kind === ReceiptKind.DELIVERED || ctx.readReceipts;
    const recipients: string[] = [];
    if (wanted && allowed) recipients.push(author);
    if (kind === ReceiptKind.READ && pending.own !== true) recipients.push(ctx.ownUser);
    if (wanted && !allowed && author !== ctx.ownUser) {
      // Held until the request is accepted; our own devices (above) are told now.
      const held = kind === ReceiptKind.READ ? { ...pending, own: true } : pending;
      const subject = subjectOf(author, pending);
      for (const id of ids) {
        batch.set(Keys.heldReceipt(subject, kind, author, toHex(id)), encodeRecord(held));
      }
    }
    if (recipients.length === 0) continue;
    for (let i = 0; i < ids.length; i += RECEIPT_MAX_IDS) {
      const chunk = ids.slice(i, i + RECEIPT_MAX_IDS) as OutboxEntry['id'][];
      const entry = newOutboxEntry({
        id: ctx.random(16) as OutboxEntry['id'],
        stamp: await ctx.stamps.next(batch),
        kind: OutboxKind.RECEIPT,
        content: encodeContent({ v: 1, t: 'receipt', kind, author, ids: chunk }),
        recipients,
        createdAt: ctx.now(),
      });
      stageEntry(batch, entry);
      queued++;
    }
  }
  return queued;
}
