/** Attachment rows and their ciphertext chunks. */
import { and, asc, count, eq, inArray, lte } from 'drizzle-orm';
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

export async function getChunk(
  db: Db,
  attachmentId: string,
  index: number,
): Promise<Uint8Array | undefined> {
  const row = await db.query.attachmentChunks.findFirst({
    where: and(eq(attachmentChunks.attachmentId, attachmentId), eq(attachmentChunks.index, index)),
  });
  return row?.data;
}

export async function countChunks(db: Db, attachmentId: string): Promise<number> {
  const rows = await db
    .select({ n: count() })
    .from(attachmentChunks)
    .where(eq(attachmentChunks.attachmentId, attachmentId));
  return rows[0]?.n ?? 0;
}

/** Chunks in order, one at a time (an attachment may be 100 MiB: never all in memory). */
export async function* chunksInOrder(
  db: Db,
  attachmentId: string,
  chunkCount: number,
): AsyncGenerator<Uint8Array> {
  for (let index = 0; index < chunkCount; index++) {
    const rows = await db
      .select({ data: attachmentChunks.data })
      .from(attachmentChunks)
      .where(
        and(eq(attachmentChunks.attachmentId, attachmentId), eq(attachmentChunks.index, index)),
      )
      .orderBy(asc(attachmentChunks.index));
    const row = rows[0];
    if (row === undefined) return;
    yield row.data;
  }
}

export async function markComplete(db: Db, id: string): Promise<void> {
  await db.update(attachments).set({ complete: true }).where(eq(attachments.id, id));
}

/** Deletes expired attachments with their chunks; returns how many. */
export async function deleteExpiredAttachments(
  db: Db,
  now: number,
  limit: number,
): Promise<number> {
  const expired = await db
    .select({ id: attachments.id })
    .from(attachments)
    .where(lte(attachments.expiresAt, now))
    .limit(limit);
  if (expired.length === 0) return 0;
  const ids = expired.map((r) => r.id);
  await db.batch([
    db.delete(attachmentChunks).where(inArray(attachmentChunks.attachmentId, ids)),
    db.delete(attachments).where(inArray(attachments.id, ids)),
  ]);
  return ids.length;
}
