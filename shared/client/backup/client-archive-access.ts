/**
 * The backup flows over the client core's own archive API (`client.archive`,
 * shared/client/archive/archive-api.ts): export seals this account's snapshot with its
 * history under the backup key; import verifies it to the end and merges it,
 * all or nothing. Reading a snapshot's signed header alone (for the list)
 * opens the archive with the account identity's public key.
 */
import { openArchive } from '../../archive/archive.ts';
import type { ClientArchiveApi } from '../archive/archive-api.ts';
import type { BackupArchiveAccess } from './backups.ts';
import { backupHeaderOf } from './snapshot-header.ts';

export function clientArchiveAccess(
  archive: ClientArchiveApi,
  identitySigningKey: Uint8Array,
): BackupArchiveAccess {
  return {
    exportBackup: ({ root, seq, backupId }) =>
      archive.export({ kind: 'backup', root, history: true, seq, backupId }),
    async readHeader(source, root, backupId) {
      const { header } = await openArchive(source, { root, identitySigningKey });
      return backupHeaderOf(header, backupId);
    },
    async importBackup(source, root, backupId) {
      // Checked after the merge: client.archive.import does not hand out the header first.
      return backupHeaderOf((await archive.import(source, root)).header, backupId);
    },
  };
}
