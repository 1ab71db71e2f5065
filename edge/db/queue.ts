/**
 * The delivery queue. A row is written per recipient device before the sender
 * is told `stored`, served in `seq` order, and deleted only when that device
 * acknowledges it — or when it expires.
 */
import type { InValue } from '@libsql/client';
import { and, count, eq, gt, inArray, lte } from 'drizzle-orm';
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
 *
 * This and `pending` are the per-message hot path, so they use the libSQL
 * client directly: drizzle's row mapping costs about twice the query itself
 * (measured under Deno: 244 µs vs 93 µs for one pending row).
 */
export async function enqueue(db: Db, rows: readonly NewQueueRow[]): Promise<Enqueued[]> {
  if (rows.length === 0) return [];
  const values: InValue[] = [];
  for (const r of rows) {
    values.push(
      r.recipientAccount,
      r.recipientDevice,
      r.senderAccount,
      r.senderDevice,
      r.clientMessageId,
      r.ciphertext,
      r.createdAt,
      r.expiresAt,
      r.senderExpiresAt ?? null,
    );
  }
  const placeholders = rows.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
  const result = await db.$client.execute({
    sql: `INSERT INTO queue (recipient_account, recipient_device, sender_account, sender_device, client_message_id,
            ciphertext, created_at, expires_at, sender_expires_at)
          VALUES ${placeholders}
          ON CONFLICT DO NOTHING
          RETURNING recipient_account, recipient_device, seq`,
    args: values,
  });
  return result.rows.map((row) => ({
    recipientAccount: String(row.recipient_account),
    recipientDevice: Number(row.recipient_device),
    seq: Number(row.seq),
  }));
}

function bytesOf(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  throw new TypeError('queue: expected a blob column');
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
  const result = await db.$client.execute({
    sql: `SELECT seq, recipient_account, recipient_device, sender_account, sender_device, client_message_id,
                 ciphertext, created_at, expires_at, sender_expires_at
          FROM queue
          WHERE recipient_account = ? AND recipient_device = ? AND seq > ? AND expires_at > ?
          ORDER BY seq LIMIT ?`,
    args: [accountId, deviceId, afterSeq, now, limit],
  });
  return result.rows.map((row) => ({
    seq: Number(row.seq),
    recipientAccount: String(row.recipient_account),
    recipientDevice: Number(row.recipient_device),
    senderAccount: String(row.sender_account),
    senderDevice: Number(row.sender_device),
    clientMessageId: bytesOf(row.client_message_id),
    ciphertext: bytesOf(row.ciphertext),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    senderExpiresAt: row.sender_expires_at === null ? null : Number(row.sender_expires_at),
  }));
}

/** Deletes acknowledged rows; only the recipient's own rows can match. */
export async function acknowledge(
  db: Db,
  accountId: string,
  deviceId: number,
  seqs: readonly number[],
): Promise<number> {
  if (seqs.length === 0) return 0;
  const result = await db.$client.execute({
    sql: `DELETE FROM queue WHERE recipient_account = ? AND recipient_device = ? AND seq IN (${seqs.map(() => '?').join(', ')})`,
    args: [accountId, deviceId, ...seqs],
  });
  return result.rowsAffected;
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
