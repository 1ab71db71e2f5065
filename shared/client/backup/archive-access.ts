/**
 * The backup flows' view of the archive format (shared/archive): seal the
 * account's frames under the backup key, read a snapshot's signed header
 * alone, and open a whole snapshot. Importing is all or nothing: the frames
 * are handed on only after the archive verified to its end, so a damaged
 * snapshot imports nothing (shared/archive/archive.ts).
 *
 * The client core's `archive.export/import` (what frames an account is made
 * of, and writing them into a store) is the archive layer's job; this adapter
 * takes those as `frames` and `importFrames`.
 */
import { openArchive, sealArchive } from '../../archive/archive.ts';
import type { Bytes } from '../../bytes.ts';
import type { SigningKeyPair } from '../../crypto/ed25519.ts';
import type { BackupArchiveAccess, SignedSnapshotHeader } from './backups.ts';
import { backupHeaderOf } from './snapshot-header.ts';

export interface ArchiveAccessDeps {
  /** The account identity: its private key signs headers, its public key checks them. */
  readonly identity: {
    readonly publicKey: Uint8Array;
    readonly signer?: SigningKeyPair['privateKey'];
  };
  readonly now: () => number;
  /** The account's content as frames, for a new snapshot. */
  readonly frames?: () => AsyncIterable<Uint8Array>;
  /** Writes a verified snapshot's frames into this client. */
  readonly importFrames?: (frames: readonly Bytes[], header: SignedSnapshotHeader) => Promise<void>;
}

export function archiveAccess(deps: ArchiveAccessDeps): BackupArchiveAccess {
  return {
    exportBackup({ root, seq, backupId }) {
      const { signer } = deps.identity;
      if (signer === undefined || deps.frames === undefined)
        throw new TypeError('archiveAccess: exporting needs the identity signer and the frames');
      return sealArchive({
        kind: 'backup',
        createdAt: deps.now(),
        seq,
        backupId,
        root,
        signer,
        frames: deps.frames(),
      });
    },
    async readHeader(source, root, backupId) {
      const opened = await openArchive(source, {
        root,
        identitySigningKey: deps.identity.publicKey,
      });
      return backupHeaderOf(opened.header, backupId);
    },
    async importBackup(source, root, backupId) {
      const opened = await openArchive(source, {
        root,
        identitySigningKey: deps.identity.publicKey,
      });
      const header = backupHeaderOf(opened.header, backupId);
      const frames: Bytes[] = [];
      for await (const frame of opened.frames) frames.push(frame);
      await deps.importFrames?.(frames, header);
      return header;
    },
  };
}
