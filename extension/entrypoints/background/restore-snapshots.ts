/**
 * The snapshots a restore can choose from (docs/extension.md, "Backups"):
 * what the relay lists under the backup id of this recovery key and account,
 * newest first. Seq and date are the relay's word here (its `storedAt`); the
 * restore then shows the seq and date signed inside the snapshot it opened.
 *
 * Runs in: the service worker and Node (tests).
 */
import { deriveBackupKeys } from '../../../shared/backup/keys.ts';
import { parseRecoveryKey } from '../../../shared/backup/recovery-key.ts';
import { wipe } from '../../../shared/bytes.ts';
import { BackupRelay, type FetchLike } from '../../../shared/client/backup/backup-relay.ts';
import type { RestoreSnapshot } from '../../lib/protocol.ts';

export interface RestoreSnapshotsDeps {
  readonly fetch: FetchLike;
  readonly now: () => number;
}

export interface RestoreSnapshotsInput {
  readonly relayUrl: string;
  readonly recoveryKey: string;
  /** The account a fresh passkey login named. */
  readonly user: string;
}

/** Newest first; empty when the relay has no backup under this key (RECOVERY_KEY_INVALID on a typo). */
export async function listRestoreSnapshots(
  deps: RestoreSnapshotsDeps,
  input: RestoreSnapshotsInput,
): Promise<RestoreSnapshot[]> {
  const rk = parseRecoveryKey(input.recoveryKey);
  const keys = await deriveBackupKeys(rk, input.user);
  wipe(rk);
  wipe(keys.backupKey);
  const relay = new BackupRelay({
    relayUrl: input.relayUrl,
    fetch: deps.fetch,
    backupId: keys.backupId,
    auth: keys.auth,
    now: deps.now,
  });
  const listed = await relay.list();
  return listed.map((s) => ({ seq: s.seq, storedAt: s.storedAt })).sort((a, b) => b.seq - a.seq);
}
