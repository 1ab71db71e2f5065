/**
 * `client.archive` (docs/client.md "Archives"): a snapshot of this account's
 * contacts, groups, conversations, settings and (optionally) messages, sealed
 * as an archive (shared/archive/) signed by the account identity, and its
 * import. Both need the unlocked account: the identity's private key signs an
 * export, its public key verifies an import's header (an archive is only ever
 * read by a device of the account that wrote it).
 */
import { openArchive, sealArchive } from '../../archive/archive.ts';
import type { ArchiveHeader, ArchiveKind } from '../../archive/header.ts';
import type { Bytes } from '../../bytes.ts';
import type { ClientHost } from '../host.ts';
import { type PendingHistoryStore, pendingHistoryIn } from '../linking/pending-history.ts';
import type { SessionContext } from '../sessions/sessions.ts';
import { exportSnapshot } from './export-snapshot.ts';
import { encodeEscrowFrame } from './identity-escrow.ts';
import { type ImportResult, importSnapshot } from './import-snapshot.ts';

export interface ArchiveExportInput {
  readonly kind: ArchiveKind;
  /** The 32-byte root key: random per transfer, or the backup key. */
  readonly root: Uint8Array;
  /** Carry messages (else contacts, groups, conversations and settings only). */
  readonly history: boolean;
  /** The snapshot's sequence number, signed into the header. */
  readonly seq: number;
  /** Backups: the account's 16-byte backup id. */
  readonly backupId?: Uint8Array;
}

export interface ArchiveImportResult extends ImportResult {
  readonly header: ArchiveHeader;
}

export interface ClientArchiveApi {
  /** The archive's bytes, streamed (nothing is read before the first pull). */
  export(input: ArchiveExportInput): AsyncIterable<Uint8Array>;
  /**
   * Verifies and merges an archive of this account; writes nothing unless the
   * whole archive verified. Errors: ARCHIVE_WRONG_KEY, ARCHIVE_DAMAGED,
   * ARCHIVE_UNSUPPORTED, NOT_REGISTERED (locked or no account).
   */
  import(source: AsyncIterable<Uint8Array>, root: Uint8Array): Promise<ArchiveImportResult>;
  /**
   * A linked device's history offer, kept until its transfer archive is
   * imported and ACKed (docs/protocol.md, "History transfer"): what a
   * restarted device resumes the download from.
   */
  readonly pendingTransfer: PendingHistoryStore;
}

export interface ArchiveApiHost extends Pick<ClientHost, 'records' | 'queue' | 'now'> {
  readonly requireSessions: () => SessionContext;
}

export function createArchiveApi(host: ArchiveApiHost): ClientArchiveApi {
  return {
    pendingTransfer: pendingHistoryIn(host.records),
    async *export(input: ArchiveExportInput): AsyncGenerator<Bytes> {
      const { identity, record } = host.requireSessions().account;
      const now = host.now();
      yield* sealArchive({
        kind: input.kind,
        createdAt: now,
        seq: input.seq,
        ...(input.backupId === undefined ? {} : { backupId: input.backupId }),
        root: input.root,
        signer: identity.signing.privateKey,
        frames: exportSnapshot(host.records, {
          history: input.history,
          now,
          // Backups escrow the identity (docs/protocol.md "Backups"); transfers never do.
          ...(input.kind === 'backup' ? { escrow: encodeEscrowFrame(record.identity) } : {}),
        }),
      });
    },
    async import(source, root) {
      const { identity } = host.requireSessions().account;
      const opened = await openArchive(source, {
        root,
        identitySigningKey: identity.signing.publicKey,
      });
      const result = await importSnapshot(
        host.records,
        opened.frames,
        (job) => host.queue.run(job),
        opened.header.kind === 'backup',
      );
      return { ...result, header: opened.header };
    },
  };
}
