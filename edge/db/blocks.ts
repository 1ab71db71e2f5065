/** Per-account block lists, enforced by the relay on sends to the blocker. */
import { and, eq } from 'drizzle-orm';
import type { Db } from './open.ts';
import { blocks } from './schema.ts';

export async function listBlocked(db: Db, accountId: string): Promise<string[]> {
  const rows = await db
    .select({ blocked: blocks.blocked })
    .from(blocks)
    .where(eq(blocks.accountId, accountId));
  return rows.map((r) => r.blocked);
}

export async function countBlocked(db: Db, accountId: string): Promise<number> {
  return (await listBlocked(db, accountId)).length;
}

export async function block(
  db: Db,
  accountId: string,
  blocked: string,
  now: number,
): Promise<void> {
  await db.insert(blocks).values({ accountId, blocked, createdAt: now }).onConflictDoNothing();
}

export async function unblock(db: Db, accountId: string, blocked: string): Promise<void> {
  await db.delete(blocks).where(and(eq(blocks.accountId, accountId), eq(blocks.blocked, blocked)));
}

/** Of `recipients`, the accounts that blocked `sender`. */
export async function blockersOf(
  db: Db,
  sender: string,
  recipients: readonly string[],
): Promise<Set<string>> {
  if (recipients.length === 0) return new Set();
  // Per-send hot path: the libSQL client directly (see queue.ts).
  const result = await db.$client.execute({
    sql: `SELECT account_id FROM blocks WHERE blocked = ? AND account_id IN (${recipients.map(() => '?').join(', ')})`,
    args: [sender, ...recipients],
  });
  return new Set(result.rows.map((row) => String(row.account_id)));
}
