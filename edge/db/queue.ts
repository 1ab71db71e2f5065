/**
 * The delivery queue. A row is written per recipient device before the sender
 * is told `stored`, served in `seq` order, and deleted only when that device
 * acknowledges it — or when it expires.
 *
 * The per-message hot path (enqueue, pending, acknowledge) is queue-store.ts;
 * this file has the row types and the occasional queries (sweeper, metrics,
 * a device's pending count).
 */
import { and, count, eq, gt, inArray, lte } from 'drizzle-orm';
import type { Db } from './open.ts';
import { queue } from './schema.ts';

/** A queued copy as served: `ciphertext` is its body, inline or shared (the storage columns stay inside). */
export type QueueRow = Omit<typeof queue.$inferSelect, 'bodyId' | 'size'>;
/**
 * A copy to store. Copies marked `shared` carry the send's shared body in
 * `ciphertext` (the same bytes for each); the store writes it once and
 * references it from every one of them.
 */
export type NewQueueRow = Omit<QueueRow, 'seq' | 'senderExpiresAt'> & {
  readonly senderExpiresAt?: number | null | undefined;
  readonly shared?: boolean;
};

/** Queued rows and body bytes for one recipient device (kept by triggers, migration 0001). */
export interface DeviceUsage {
  readonly account: string;
  readonly device: number;
  readonly count: number;
  readonly bytes: number;
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
