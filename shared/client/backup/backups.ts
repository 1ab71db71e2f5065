/**
 * Backup and restore with the recovery key (docs/client.md, "Backups";
 * docs/protocol.md, "Backups"). The flows only: the recovery key is parsed
 * (a typo fails here, offline), the key hierarchy derived, the archive
 * sealed or opened by the archive layer, the bytes moved by BackupRelay.
 *
 * What a snapshot is called comes from inside it: the relay's list is only a
 * claim, so `listBackups` reads every snapshot's signed header (its first
 * chunk) and shows that header's seq and date; a relay serving an older
 * snapshot as the latest is shown up by it.
 */

import { type BackupKeys, deriveBackupKeys } from '../../backup/keys.ts';
import { parseRecoveryKey } from '../../backup/recovery-key.ts';
import { wipe } from '../../bytes.ts';
import { ErrorCode, ParleyError } from '../../errors.ts';
import type { SnapshotInfo } from '../../wire/rest-backups.ts';
import { BackupRelay, type FetchLike } from './backup-relay.ts';

/** The signed facts of an archive's header that the flows show. */
export interface SignedSnapshotHeader {
  readonly seq: number;
  readonly createdAt: number;
}

/** What the flows need from the archive layer (shared/archive via the client). */
export interface BackupArchiveAccess {
  /** The account's backup, sealed under `root` with this seq and backup id in its signed header. */
  exportBackup(options: {
    readonly root: Uint8Array;
    readonly seq: number;
    readonly backupId: Uint8Array;
  }): AsyncIterable<Uint8Array>;
  /**
   * The signed header only (reads no more of `source`); a header of another
   * kind or backup id is ARCHIVE_DAMAGED (snapshot-header.ts).
   */
  readHeader(
    source: AsyncIterable<Uint8Array>,
    root: Uint8Array,
    backupId: Uint8Array,
  ): Promise<SignedSnapshotHeader>;
  /** Checks and imports the whole archive (ARCHIVE_WRONG_KEY / ARCHIVE_DAMAGED; nothing imported on either). */
  importBackup(
    source: AsyncIterable<Uint8Array>,
    root: Uint8Array,
    backupId: Uint8Array,
  ): Promise<SignedSnapshotHeader>;
}

export interface BackupDeps {
  /** The account whose backups these are (part of the backup id). */
  readonly accountId: string;
  readonly relayUrl: string;
  readonly fetch: FetchLike;
  readonly now: () => number;
  readonly archive: BackupArchiveAccess;
}

/** A stored snapshot as the user sees it: the signed seq and date, the relay's size and time. */
export interface BackupSnapshot extends SignedSnapshotHeader {
  /** The seq under which the relay lists it (differs from `seq` only if the relay lies). */
  readonly relaySeq: number;
  readonly size: number;
  readonly storedAt: number;
  /** True for the snapshot whose signed seq is the highest of those listed. */
  readonly latest: boolean;
}

/**
 * Request timestamps that never repeat across the flows of one client: the
 * relay refuses a second request with the same signature, and Ed25519 gives
 * two identical requests in one millisecond the same one.
 */
function monotonic(now: () => number): () => number {
  let last = 0;
  return () => {
    last = Math.max(now(), last + 1);
    return last;
  };
}

async function withKeys<T>(
  deps: BackupDeps,
  recoveryKey: string,
  use: (keys: BackupKeys, relay: BackupRelay) => Promise<T>,
): Promise<T> {
  const rk = parseRecoveryKey(recoveryKey);
  const keys = await deriveBackupKeys(rk, deps.accountId);
  wipe(rk);
  const relay = new BackupRelay({
    relayUrl: deps.relayUrl,
    fetch: deps.fetch,
    backupId: keys.backupId,
    auth: keys.auth,
    now: deps.now,
  });
  try {
    return await use(keys, relay);
  } finally {
    wipe(keys.backupKey);
  }
}

/** Seals a new snapshot (seq = the highest listed + 1) and stores it on the relay. */
function createBackup(
  deps: BackupDeps,
  options: { readonly recoveryKey: string },
): Promise<SnapshotInfo> {
  return withKeys(deps, options.recoveryKey, async (keys, relay) => {
    const listed = await relay.list();
    const seq = Math.max(0, ...listed.map((s) => s.seq)) + 1;
    const archive = deps.archive.exportBackup({
      root: keys.backupKey,
      seq,
      backupId: keys.backupId,
    });
    return relay.upload(seq, archive);
  });
}

/** The stored snapshots, each named by its signed header; highest signed seq first. */
function listBackups(deps: BackupDeps, recoveryKey: string): Promise<BackupSnapshot[]> {
  return withKeys(deps, recoveryKey, async (keys, relay) => {
    const listed = await relay.list();
    const shown: Omit<BackupSnapshot, 'latest'>[] = [];
    for (const info of listed) {
      const header = await deps.archive.readHeader(
        relay.download(info),
        keys.backupKey,
        keys.backupId,
      );
      shown.push({ ...header, relaySeq: info.seq, size: info.size, storedAt: info.storedAt });
    }
    shown.sort((a, b) => b.seq - a.seq);
    return shown.map((s, i) => ({ ...s, latest: i === 0 }));
  });
}

/**
 * Imports snapshot `seq` (as the relay lists it) into this client. Returns the
 * signed header of what was imported; the caller compares it with what it showed.
 */
function restoreBackup(
  deps: BackupDeps,
  recoveryKey: string,
  seq: number,
): Promise<SignedSnapshotHeader> {
  return withKeys(deps, recoveryKey, async (keys, relay) => {
    const info = (await relay.list()).find((s) => s.seq === seq);
    if (info === undefined) return Promise.reject(snapshotGone(seq));
    return deps.archive.importBackup(relay.download(info), keys.backupKey, keys.backupId);
  });
}

function snapshotGone(seq: number): Error {
  // The relay's own answer for an unknown snapshot, so callers handle one code.
  return new ParleyError(ErrorCode.NOT_FOUND, 'No such snapshot on the relay', {
    what: 'snapshot',
    seq,
  });
}

export interface Backups {
  /** Seals a new snapshot (seq = the highest listed + 1) and stores it on the relay. */
  createBackup(options: { readonly recoveryKey: string }): Promise<SnapshotInfo>;
  /** The stored snapshots, each named by its signed header; highest signed seq first. */
  listBackups(recoveryKey: string): Promise<BackupSnapshot[]>;
  /** Imports snapshot `seq` (as the relay lists it); returns its signed header. */
  restoreBackup(recoveryKey: string, seq: number): Promise<SignedSnapshotHeader>;
}

/** The backup flows of one client (one request clock shared by all of them). */
export function createBackups(deps: BackupDeps): Backups {
  const shared: BackupDeps = { ...deps, now: monotonic(deps.now) };
  return {
    createBackup: (options) => createBackup(shared, options),
    listBackups: (recoveryKey) => listBackups(shared, recoveryKey),
    restoreBackup: (recoveryKey, seq) => restoreBackup(shared, recoveryKey, seq),
  };
}
