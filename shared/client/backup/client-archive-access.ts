/**
 * The backup flows over the client core's own archive API (`client.archive`,
 * docs/client.md "Archives"): export seals this account's snapshot with its
 * history under the backup key; import verifies it to the end and merges it,
 * all or nothing. Reading a snapshot's signed header alone (for the list)
 * opens the archive with the account identity's public key.
 */

import { openArchive } from '../../archive/archive.ts';
import { archiveDamaged } from '../../archive/errors.ts';
import type { ArchiveHeader } from '../../archive/header.ts';
import type { ClientArchiveApi } from '../archive/archive-api.ts';
import type { BackupArchiveAccess, SignedSnapshotHeader } from './backups.ts';

function signed(header: ArchiveHeader): SignedSnapshotHeader {
  // A transfer archive is never sealed under the backup key; on import this is
  // checked after the merge (client.archive.import does not hand out the header first).
  if (header.kind !== 'backup') throw archiveDamaged('not a backup archive');
  return { seq: header.seq, createdAt: header.createdAt };
}

export function clientArchiveAccess(
  archive: ClientArchiveApi,
  identitySigningKey: Uint8Array,
): BackupArchiveAccess {
  return {
    exportBackup: ({ root, seq, backupId }) =>
      archive.export({ kind: 'backup', root, history: true, seq, backupId }),
    async readHeader(source, root) {
      return signed((await openArchive(source, { root, identitySigningKey })).header);
    },
    async importBackup(source, root) {
      return signed((await archive.import(source, root)).header);
    },
  };
}
