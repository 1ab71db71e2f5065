/** Linking rendezvous rows and their mailbox messages (docs/protocol.md, "Linking a device"). */
import { and, asc, eq, gt, inArray, lte, sql } from 'drizzle-orm';
import type { Db } from './open.ts';
import { linkMessages, linkRendezvous } from './schema.ts';

export type RendezvousRow = typeof linkRendezvous.$inferSelect;
export type LinkSideName = (typeof linkMessages.$inferSelect)['side'];

/**
 * Inserts a rendezvous unless its locator is held by a live one; an expired
 * holder the sweeper has not reached yet gives the locator up. Returns false
 * when the locator is taken.
 */
export async function insertRendezvous(
  db: Db,
  row: typeof linkRendezvous.$inferInsert,
  now: number,
): Promise<boolean> {
  await deleteRendezvousWhere(
    db,
    and(eq(linkRendezvous.locator, row.locator), lte(linkRendezvous.expiresAt, now)),
  );
  const inserted = await db
    .insert(linkRendezvous)
    .values(row)
    .onConflictDoNothing({ target: linkRendezvous.locator })
    .returning({ id: linkRendezvous.id });
  return inserted.length === 1;
}

export async function findRendezvous(db: Db, id: string): Promise<RendezvousRow | undefined> {
  return db.query.linkRendezvous.findFirst({ where: eq(linkRendezvous.id, id) });
}

export async function findByLocator(db: Db, locator: string): Promise<RendezvousRow | undefined> {
  return db.query.linkRendezvous.findFirst({ where: eq(linkRendezvous.locator, locator) });
}

/** Appends a message as the side's next number; undefined when the side already holds `max`. */
export async function appendMessage(
  db: Db,
  id: string,
  side: LinkSideName,
  body: Uint8Array,
  max: number,
): Promise<number | undefined> {
  // One statement: the number is computed and taken atomically (two posts cannot share one).
  const rows = await db.all<{ seq: number }>(sql`
    INSERT INTO link_messages (rendezvous_id, side, seq, body)
    SELECT ${id}, ${side}, COALESCE(MAX(seq), 0) + 1, ${body}
      FROM link_messages WHERE rendezvous_id = ${id} AND side = ${side}
    HAVING COALESCE(MAX(seq), 0) < ${max}
    RETURNING seq`);
  return rows[0]?.seq;
}

export async function messagesAfter(
  db: Db,
  id: string,
  side: LinkSideName,
  after: number,
): Promise<{ seq: number; body: Uint8Array }[]> {
  return db
    .select({ seq: linkMessages.seq, body: linkMessages.body })
    .from(linkMessages)
    .where(
      and(
        eq(linkMessages.rendezvousId, id),
        eq(linkMessages.side, side),
        gt(linkMessages.seq, after),
      ),
    )
    .orderBy(asc(linkMessages.seq));
}

/** Adds a strike; returns the new count (undefined: no such rendezvous). */
export async function addStrike(db: Db, id: string): Promise<number | undefined> {
  const rows = await db
    .update(linkRendezvous)
    .set({ strikes: sql`${linkRendezvous.strikes} + 1` })
    .where(eq(linkRendezvous.id, id))
    .returning({ strikes: linkRendezvous.strikes });
  return rows[0]?.strikes;
}

export async function deleteRendezvous(db: Db, id: string): Promise<void> {
  await deleteRendezvousWhere(db, eq(linkRendezvous.id, id));
}

/** Deletes expired rendezvous with their messages; returns how many. */
export async function deleteExpiredRendezvous(db: Db, now: number, limit: number): Promise<number> {
  const expired = await db
    .select({ id: linkRendezvous.id })
    .from(linkRendezvous)
    .where(lte(linkRendezvous.expiresAt, now))
    .limit(limit);
  if (expired.length === 0) return 0;
  await deleteIds(
    db,
    expired.map((r) => r.id),
  );
  return expired.length;
}

async function deleteRendezvousWhere(
  db: Db,
  where: ReturnType<typeof and> | ReturnType<typeof eq>,
): Promise<void> {
  const rows = await db.select({ id: linkRendezvous.id }).from(linkRendezvous).where(where);
  if (rows.length > 0)
    await deleteIds(
      db,
      rows.map((r) => r.id),
    );
}

async function deleteIds(db: Db, ids: string[]): Promise<void> {
  await db.batch([
    db.delete(linkMessages).where(inArray(linkMessages.rendezvousId, ids)),
    db.delete(linkRendezvous).where(inArray(linkRendezvous.id, ids)),
  ]);
}
