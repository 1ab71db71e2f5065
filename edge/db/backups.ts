/** Backup rows (pinned auth key), their snapshots and the snapshots' chunk rows. */
import { and, asc, desc, eq, inArray, lte, notInArray, sql } from 'drizzle-orm';
import type { Db } from './open.ts';
import { backupChunks, backupSnapshots, backups } from './schema.ts';

export type SnapshotRow = typeof backupSnapshots.$inferSelect;

function asBytes(value: unknown): Uint8Array {
  return value instanceof Uint8Array ? value : new Uint8Array(value as ArrayBuffer);
}

export async function findBackupKey(db: Db, backupId: string): Promise<Uint8Array | undefined> {
  const row = await db.query.backups.findFirst({ where: eq(backups.id, backupId) });
  return row === undefined ? undefined : asBytes(row.authKey);
}

/** Pins `authKey` to a new backup id; a no-op if the id is taken (the caller re-reads). */
export async function pinBackupKey(
  db: Db,
  backupId: string,
  authKey: Uint8Array,
  now: number,
): Promise<void> {
  await db
    .insert(backups)
    .values({ id: backupId, authKey, createdAt: now })
    .onConflictDoNothing({ target: backups.id });
}

/**
 * A new unfinished snapshot `seq`: any other unfinished upload of this backup
 * and an earlier snapshot with the same seq go first (with their chunks).
 * `authKey` is the key the caller was just checked against: re-pinning it in
 * the same transaction keeps the snapshot's backup row even if the sweeper
 * deleted the id meanwhile (deleteStaleUploads).
 */
export async function startSnapshot(
  db: Db,
  start: { backupId: string; authKey: Uint8Array; seq: number; now: number },
): Promise<void> {
  const { backupId, authKey, seq, now } = start;
  const doomed = await db
    .select({ seq: backupSnapshots.seq })
    .from(backupSnapshots)
    .where(
      and(
        eq(backupSnapshots.backupId, backupId),
        sql`(${backupSnapshots.complete} = 0 OR ${backupSnapshots.seq} = ${seq})`,
      ),
    );
  const seqs = doomed.map((r) => r.seq);
  await db.batch([
    db
      .delete(backupChunks)
      .where(and(eq(backupChunks.backupId, backupId), inArray(backupChunks.seq, seqs))),
    db
      .delete(backupSnapshots)
      .where(and(eq(backupSnapshots.backupId, backupId), inArray(backupSnapshots.seq, seqs))),
    db
      .insert(backups)
      .values({ id: backupId, authKey, createdAt: now })
      .onConflictDoNothing({ target: backups.id }),
    db.insert(backupSnapshots).values({ backupId, seq, startedAt: now }),
  ]);
}

export async function findSnapshot(
  db: Db,
  backupId: string,
  seq: number,
): Promise<SnapshotRow | undefined> {
  return db.query.backupSnapshots.findFirst({
    where: and(eq(backupSnapshots.backupId, backupId), eq(backupSnapshots.seq, seq)),
  });
}

/**
 * Inserts or replaces one chunk (uploads are resumable), only while its
 * snapshot is still an unfinished upload: a newer start or the sweeper may
 * have dropped it since the caller checked. False if it was not stored (a
 * chunk row without its snapshot would be found by no sweep).
 */
export async function putSnapshotChunk(
  db: Db,
  backupId: string,
  seq: number,
  index: number,
  data: Uint8Array,
): Promise<boolean> {
  // `WHERE` before `ON CONFLICT` is what SQLite's upsert grammar needs after INSERT … SELECT.
  const result = await db.run(sql`INSERT INTO backup_chunks (backup_id, seq, idx, data)
    SELECT ${backupId}, ${seq}, ${index}, ${data}
    WHERE EXISTS (SELECT 1 FROM backup_snapshots
      WHERE backup_id = ${backupId} AND seq = ${seq} AND complete = 0)
    ON CONFLICT (backup_id, seq, idx) DO UPDATE SET data = excluded.data`);
  return result.rowsAffected > 0;
}

/** index -> stored length of every chunk of a snapshot, ascending. */
export async function snapshotChunkLengths(
  db: Db,
  backupId: string,
  seq: number,
): Promise<Map<number, number>> {
  const rows = await db
    .select({ index: backupChunks.index, length: sql<number>`length(${backupChunks.data})` })
    .from(backupChunks)
    .where(and(eq(backupChunks.backupId, backupId), eq(backupChunks.seq, seq)))
    .orderBy(asc(backupChunks.index));
  return new Map(rows.map((r) => [r.index, Number(r.length)]));
}

/** One chunk, or `length` bytes of it from `start` (SQLite substr counts blob bytes from 1). */
export async function getSnapshotChunk(
  db: Db,
  backupId: string,
  seq: number,
  index: number,
  slice?: { readonly start: number; readonly length: number },
): Promise<Uint8Array | undefined> {
  const data =
    slice === undefined
      ? backupChunks.data
      : sql<Uint8Array>`substr(${backupChunks.data}, ${slice.start + 1}, ${slice.length})`;
  const rows = await db
    .select({ data })
    .from(backupChunks)
    .where(
      and(
        eq(backupChunks.backupId, backupId),
        eq(backupChunks.seq, seq),
        eq(backupChunks.index, index),
      ),
    );
  const value = rows[0]?.data;
  return value === undefined || value === null ? undefined : asBytes(value);
}

/**
 * Marks an unfinished snapshot complete, then keeps only the `keep` complete
 * ones with the highest seq. False if it was no longer an unfinished upload
 * (dropped by a newer start or swept since the caller checked).
 */
export async function completeSnapshot(
  db: Db,
  snapshot: { backupId: string; seq: number; size: number; chunks: number; now: number },
  keep: number,
): Promise<boolean> {
  const { backupId, seq } = snapshot;
  const marked = await db
    .update(backupSnapshots)
    .set({ complete: true, size: snapshot.size, chunks: snapshot.chunks, storedAt: snapshot.now })
    .where(
      and(
        eq(backupSnapshots.backupId, backupId),
        eq(backupSnapshots.seq, seq),
        eq(backupSnapshots.complete, false),
      ),
    );
  if (marked.rowsAffected === 0) return false;
  const kept = (await listSnapshots(db, backupId)).slice(0, keep).map((r) => r.seq);
  const doomed = await db
    .select({ seq: backupSnapshots.seq })
    .from(backupSnapshots)
    .where(
      and(
        eq(backupSnapshots.backupId, backupId),
        eq(backupSnapshots.complete, true),
        notInArray(backupSnapshots.seq, kept),
      ),
    );
  const seqs = doomed.map((r) => r.seq);
  if (seqs.length === 0) return true;
  await db.batch([
    db
      .delete(backupChunks)
      .where(and(eq(backupChunks.backupId, backupId), inArray(backupChunks.seq, seqs))),
    db
      .delete(backupSnapshots)
      .where(and(eq(backupSnapshots.backupId, backupId), inArray(backupSnapshots.seq, seqs))),
  ]);
  return true;
}

/** Complete snapshots, highest seq first. */
export async function listSnapshots(db: Db, backupId: string): Promise<SnapshotRow[]> {
  return db
    .select()
    .from(backupSnapshots)
    .where(and(eq(backupSnapshots.backupId, backupId), eq(backupSnapshots.complete, true)))
    .orderBy(desc(backupSnapshots.seq));
}

/** Everything of one backup id: chunks, snapshots and the pinned key. */
export async function deleteBackup(db: Db, backupId: string): Promise<void> {
  await db.batch([
    db.delete(backupChunks).where(eq(backupChunks.backupId, backupId)),
    db.delete(backupSnapshots).where(eq(backupSnapshots.backupId, backupId)),
    db.delete(backups).where(eq(backups.id, backupId)),
  ]);
}

/** One snapshot upload, by its backup id and seq. */
export interface UploadRef {
  readonly backupId: string;
  readonly seq: number;
}

/** Up to `limit` unfinished uploads started at or before `startedBefore`, oldest first. */
export async function findStaleUploads(
  db: Db,
  startedBefore: number,
  limit: number,
): Promise<UploadRef[]> {
  return db
    .select({ backupId: backupSnapshots.backupId, seq: backupSnapshots.seq })
    .from(backupSnapshots)
    .where(and(eq(backupSnapshots.complete, false), lte(backupSnapshots.startedAt, startedBefore)))
    .orderBy(asc(backupSnapshots.startedAt))
    .limit(limit);
}

/**
 * Deletes `uploads` with their chunks, re-checking in the same transaction that
 * each is still unfinished and stale (one completed since it was found stays),
 * then the backup ids among them left with no snapshot at all: an id whose
 * every upload died holds nothing but its pinned key, and its next upload pins
 * it again (only the recovery key's holder can compute the id). Returns the
 * number of uploads deleted.
 */
export async function deleteStaleUploads(
  db: Db,
  uploads: readonly UploadRef[],
  startedBefore: number,
): Promise<number> {
  if (uploads.length === 0) return 0;
  const pairs = sql.join(
    uploads.map((u) => sql`(${u.backupId}, ${u.seq})`),
    sql`, `,
  );
  const stale = sql`SELECT backup_id, seq FROM backup_snapshots
    WHERE complete = 0 AND started_at <= ${startedBefore} AND (backup_id, seq) IN (VALUES ${pairs})`;
  const ids = [...new Set(uploads.map((u) => u.backupId))];
  const [, deleted] = await db.batch([
    db.run(sql`DELETE FROM backup_chunks WHERE (backup_id, seq) IN (${stale})`),
    db.run(sql`DELETE FROM backup_snapshots WHERE (backup_id, seq) IN (${stale})`),
    db
      .delete(backups)
      .where(
        and(
          inArray(backups.id, ids),
          sql`NOT EXISTS (SELECT 1 FROM backup_snapshots WHERE backup_id = ${backups.id})`,
        ),
      ),
  ]);
  return deleted.rowsAffected;
}
