/**
 * The delivery queue. A row is written per recipient device before the sender
 * is told `stored`, served in `seq` order, and deleted only when that device
 * acknowledges it — or when it expires.
 */
import { and, asc, count, eq, gt, inArray, lte } from 'drizzle-orm';
import type { Db } from './open.ts';
import { queue } from './schema.ts';

export type QueueRow = typeof queue.$inferSelect;
export type NewQueueRow = Omit<typeof queue.$inferInsert, 'seq'>;

export interface Enqueued {
  readonly recipientAccount: string;
  readonly recipientDevice: number;
  readonly seq: number;
}

/**
 * Writes every copy in one statement (all or nothing). A copy already queued
 * under the same (recipient, sender device, client message id) — a resend
 * after a lost `stored` — is skipped, which makes sending idempotent.
 */
export async function enqueue(db: Db, rows: readonly NewQueueRow[]): Promise<Enqueued[]> {
  if (rows.length === 0) return [];
  return db
    .insert(queue)
    .values([...rows])
    .onConflictDoNothing()
    .returning({
      recipientAccount: queue.recipientAccount,
      recipientDevice: queue.recipientDevice,
      seq: queue.seq,
    });
}

/** Unexpired rows for one device after `afterSeq`, oldest first. */
export async function pending(
  db: Db,
  accountId: string,
  deviceId: number,
  afterSeq: number,
  now: number,
  limit: number,
): Promise<QueueRow[]> {
  return db
    .select()
    .from(queue)
    .where(
      and(
        eq(queue.recipientAccount, accountId),
        eq(queue.recipientDevice, deviceId),
        gt(queue.seq, afterSeq),
        gt(queue.expiresAt, now),
      ),
    )
    .orderBy(asc(queue.seq))
    .limit(limit);
}

/** Deletes acknowledged rows; only the recipient's own rows can match. */
export async function acknowledge(
  db: Db,
  accountId: string,
  deviceId: number,
  seqs: readonly number[],
): Promise<number> {
  if (seqs.length === 0) return 0;
  const rows = await db
    .delete(queue)
    .where(
      and(
        eq(queue.recipientAccount, accountId),
        eq(queue.recipientDevice, deviceId),
        inArray(queue.seq, [...seqs]),
      ),
    )
    .returning({ seq: queue.seq });
  return rows.length;
}

/** Deletes up to `limit` expired rows; the sweeper calls it until it returns less than `limit`. */
export async function deleteExpired(db: Db, now: number, limit: number): Promise<number> {
  const expired = db
    .select({ seq: queue.seq })
    .from(queue)
    .where(lte(queue.expiresAt, now))
    .limit(limit);
  const rows = await db
    .delete(queue)
    .where(inArray(queue.seq, expired))
    .returning({ seq: queue.seq });
  return rows.length;
}

export async function queueDepth(db: Db): Promise<number> {
  const rows = await db.select({ n: count() }).from(queue);
  return rows[0]?.n ?? 0;
}

/** Unexpired rows waiting for one device. */
export async function countPending(
  db: Db,
  accountId: string,
  deviceId: number,
  now: number,
): Promise<number> {
  const rows = await db
    .select({ n: count() })
    .from(queue)
    .where(
      and(
        eq(queue.recipientAccount, accountId),
        eq(queue.recipientDevice, deviceId),
        gt(queue.expiresAt, now),
      ),
    );
  return rows[0]?.n ?? 0;
}
