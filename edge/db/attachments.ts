/** Attachment rows (owner, size, token hash, expiry) and the libSQL store's chunk rows. */
import { and, asc, eq, gt, inArray, lte, or, sql, sum } from 'drizzle-orm';
import type { Db } from './open.ts';
import { attachmentChunks, attachments } from './schema.ts';

export type AttachmentRow = typeof attachments.$inferSelect;

export async function createAttachment(
  db: Db,
  row: typeof attachments.$inferInsert,
): Promise<void> {
  await db.insert(attachments).values(row);
}

export async function findAttachment(db: Db, id: string): Promise<AttachmentRow | undefined> {
  return db.query.attachments.findFirst({ where: eq(attachments.id, id) });
}

export async function markComplete(db: Db, id: string): Promise<void> {
  await db.update(attachments).set({ complete: true }).where(eq(attachments.id, id));
}

/** Bytes of the account's attachments that have not expired (complete or not). */
export async function outstandingBytes(db: Db, accountId: string, now: number): Promise<number> {
  const rows = await db
    .select({ n: sum(attachments.size) })
    .from(attachments)
    .where(and(eq(attachments.ownerAccount, accountId), gt(attachments.expiresAt, now)));
  return Number(rows[0]?.n ?? 0);
}

/** Bytes of every complete attachment (the bytes-stored metric). */
export async function storedBytes(db: Db): Promise<number> {
  const rows = await db
    .select({ n: sum(attachments.size) })
    .from(attachments)
    .where(eq(attachments.complete, true));
  return Number(rows[0]?.n ?? 0);
}

export interface DoomedAttachment {
  readonly id: string;
  readonly size: number;
  readonly complete: boolean;
}

/** Attachments past their expiry, or never completed and created before `incompleteBefore`. */
export async function findDoomedAttachments(
  db: Db,
  now: number,
  incompleteBefore: number,
  limit: number,
): Promise<DoomedAttachment[]> {
  return db
    .select({ id: attachments.id, size: attachments.size, complete: attachments.complete })
    .from(attachments)
    .where(
      or(
        lte(attachments.expiresAt, now),
        and(eq(attachments.complete, false), lte(attachments.createdAt, incompleteBefore)),
      ),
    )
    .limit(limit);
}

/** Deletes attachment rows with their chunk rows (the libSQL store's bytes). */
export async function deleteAttachments(db: Db, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.batch([
    db.delete(attachmentChunks).where(inArray(attachmentChunks.attachmentId, [...ids])),
    db.delete(attachments).where(inArray(attachments.id, [...ids])),
  ]);
}

// ---------------------------------------------------------------------------
// Chunk rows: the libSQL BlobStore (edge/attachments/libsql-store.ts)

/** Inserts or replaces one chunk (uploads are resumable). */
export async function putChunk(
  db: Db,
  attachmentId: string,
  index: number,
  data: Uint8Array,
): Promise<void> {
  await db
    .insert(attachmentChunks)
    .values({ attachmentId, index, data })
    .onConflictDoUpdate({
      target: [attachmentChunks.attachmentId, attachmentChunks.index],
      set: { data },
    });
}

/** One chunk, or `length` bytes of it from `start` (SQLite substr counts blob bytes from 1). */
export async function getChunk(
  db: Db,
  attachmentId: string,
  index: number,
  slice?: { readonly start: number; readonly length: number },
): Promise<Uint8Array | undefined> {
  const data =
    slice === undefined
      ? attachmentChunks.data
      : sql<Uint8Array>`substr(${attachmentChunks.data}, ${slice.start + 1}, ${slice.length})`;
  const rows = await db
    .select({ data })
    .from(attachmentChunks)
    .where(and(eq(attachmentChunks.attachmentId, attachmentId), eq(attachmentChunks.index, index)));
  const value = rows[0]?.data;
  if (value === undefined || value === null) return undefined;
  return value instanceof Uint8Array ? value : new Uint8Array(value as ArrayBuffer);
}

/** index -> stored length of every chunk of an attachment. */
export async function chunkLengths(db: Db, attachmentId: string): Promise<Map<number, number>> {
  const rows = await db
    .select({
      index: attachmentChunks.index,
      length: sql<number>`length(${attachmentChunks.data})`,
    })
    .from(attachmentChunks)
    .where(eq(attachmentChunks.attachmentId, attachmentId))
    .orderBy(asc(attachmentChunks.index));
  return new Map(rows.map((r) => [r.index, Number(r.length)]));
}

export async function deleteChunks(db: Db, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.delete(attachmentChunks).where(inArray(attachmentChunks.attachmentId, [...ids]));
}
