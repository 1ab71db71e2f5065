/**
 * What a backup flow accepts from an archive's signed header: kind `backup`
 * and the backup id being restored. The id matters because the archive key
 * comes from the backup key alone: a snapshot that the same recovery key made
 * for another account would pass the key check, and a relay could serve it
 * in place of this account's.
 */
import { archiveDamaged } from '../../archive/errors.ts';
import type { ArchiveHeader } from '../../archive/header.ts';
import { equalBytes } from '../../bytes.ts';
import type { SignedSnapshotHeader } from './backups.ts';

export function backupHeaderOf(header: ArchiveHeader, backupId: Uint8Array): SignedSnapshotHeader {
  if (header.kind !== 'backup') throw archiveDamaged('not a backup archive');
  if (header.backupId === undefined || !equalBytes(header.backupId, backupId))
    throw archiveDamaged('a snapshot of another backup id');
  return { seq: header.seq, createdAt: header.createdAt };
}
