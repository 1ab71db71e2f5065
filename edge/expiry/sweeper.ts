/**
 * The expiry sweeper: deletes queue rows past their expiry (the sender's
 * `expiresAt`, or 30 days undelivered), stale passkey challenges, and
 * accounts that registered no device within the claim period (handle squatting),
 * and linking rendezvous past their five minutes. Reads
 * already skip expired rows, so the sweeper is about storage, not visibility.
 *
 * Attachments go with their bytes (in the database or the object store) at
 * expiry, or 24 h after creation if never completed (orphaned uploads).
 * Backup snapshot uploads never completed within 24 h of their start go with
 * their chunks; complete snapshots are never swept (docs/relay.md, "Backups").
 *
 * Deleted must mean gone from the file: the database runs with
 * secure_delete=ON (freed cells are zeroed), and after each sweep a
 * TRUNCATE checkpoint empties the write-ahead log, which otherwise keeps old
 * page images — acknowledged ciphertext included — until it is overwritten.
 */

import { ATTACHMENT_INCOMPLETE_MS, BACKUP_INCOMPLETE_MS } from '../../shared/wire/limits.ts';
import { attachmentChunkCount } from '../../shared/wire/rest-attachments.ts';
import type { BlobStore } from '../attachments/blob-store.ts';
import { deleteUnclaimedAccounts, purgeExpiredChallenges } from '../db/accounts.ts';
import { deleteAttachments, findDoomedAttachments } from '../db/attachments.ts';
import { deleteStaleUploads, findStaleUploads } from '../db/backups.ts';
import { deleteExpiredRendezvous } from '../db/link.ts';
import type { Database } from '../db/open.ts';
import { deleteExpired } from '../db/queue.ts';
import type { QueueStore } from '../db/queue-store.ts';
import type { Logger } from '../observability/log.ts';
import { safeErrorText } from '../observability/log.ts';
import type { RelayMetrics } from '../observability/metrics.ts';

const WAL_CHECKPOINT_ATTEMPTS = 5;
const WAL_CHECKPOINT_RETRY_MS = 50;
/**
 * Stale backup uploads deleted per transaction: each may hold up to
 * BACKUP_MAX_BYTES of chunk rows, so fewer than the 50 attachments per batch.
 */
const BACKUP_SWEEP_BATCH = 10;

export interface SweepResult {
  readonly messages: number;
  readonly challenges: number;
  readonly attachments: number;
  readonly accounts: number;
  readonly rendezvous: number;
  /** Backup snapshot uploads never completed (their chunks went with them). */
  readonly backupUploads: number;
}

export interface SweeperDeps {
  readonly database: Database;
  /** Owns the connection that checkpoints the write-ahead log without blocking. */
  readonly queue: Pick<QueueStore, 'truncateWal'>;
  readonly log: Logger;
  readonly metrics: RelayMetrics;
  readonly now: () => number;
  /** Where attachment bytes live; deleted before their rows (a failure leaves the row to retry). */
  readonly blobs: BlobStore;
  /** An account with no device this long after its creation is deleted (undefined: never). */
  readonly unclaimedAccountMs?: number;
  /** A backup upload not completed this long after its start is deleted (BACKUP_INCOMPLETE_MS). */
  readonly backupIncompleteMs?: number;
  /** Rows deleted per statement, so one sweep never holds the write lock for long. */
  readonly batch?: number;
}

export class Sweeper {
  readonly #d: SweeperDeps;
  #running: Promise<SweepResult> | undefined;

  constructor(deps: SweeperDeps) {
    this.#d = deps;
  }

  /** One sweep; concurrent calls share the sweep already running. Never throws. */
  sweep(): Promise<SweepResult> {
    this.#running ??= this.#sweep().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /**
   * Checkpoints and truncates the write-ahead log (file databases only). Acks
   * delete queue rows all the time; secure_delete zeroes them in the main file,
   * but their old page images stay in the WAL until a checkpoint overwrites or
   * truncates it, so this runs on its own short cadence, not just after sweeps.
   * Never throws.
   */
  async checkpoint(): Promise<void> {
    try {
      await this.#truncateWal();
    } catch (error) {
      this.#d.log.warn('wal.checkpoint_failed', {
        error: error instanceof Error ? error.name : 'unknown',
        detail: safeErrorText(error),
      });
    }
  }

  /**
   * Busy means another connection was mid-transaction at that instant (their
   * transactions last milliseconds), so a few quick retries usually get
   * through; otherwise the next tick tries again.
   */
  async #truncateWal(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if ((await this.#d.queue.truncateWal()) !== 'busy') return;
      this.#d.metrics.walCheckpointsBusy.inc();
      if (attempt === WAL_CHECKPOINT_ATTEMPTS) return;
      await new Promise((resolve) => setTimeout(resolve, WAL_CHECKPOINT_RETRY_MS));
    }
  }

  /**
   * An unreachable object store must not stop the rest of the sweep (challenges, accounts, the
   * WAL truncation): what failed stays in place, unreadable, and the next sweep retries it.
   */
  async #sweepAttachmentsSafely(now: number): Promise<number> {
    try {
      return await this.#sweepAttachments(now);
    } catch (error) {
      this.#d.log.warn('attachments.sweep_failed', {
        store: this.#d.blobs.kind,
        error: error instanceof Error ? error.name : 'unknown',
        detail: safeErrorText(error),
      });
      return 0;
    }
  }

  /** Expired and orphaned attachments: bytes first, then rows, 50 at a time. */
  async #sweepAttachments(now: number): Promise<number> {
    const { database, blobs, metrics } = this.#d;
    let total = 0;
    for (;;) {
      const doomed = await findDoomedAttachments(
        database.db,
        now,
        now - ATTACHMENT_INCOMPLETE_MS,
        50,
      );
      if (doomed.length === 0) return total;
      const sizes = new Map(doomed.map((a) => [a.id, a.size]));
      const ids = [...sizes.keys()];
      await blobs.delete(ids, (id) => attachmentChunkCount(sizes.get(id) ?? 1));
      await deleteAttachments(database.db, ids);
      for (const a of doomed)
        metrics.attachmentsDeleted.inc({ reason: a.complete ? 'expired' : 'incomplete' });
      total += doomed.length;
      if (doomed.length < 50) return total;
    }
  }

  /** Backup uploads started more than `backupIncompleteMs` ago and never completed. */
  async #sweepBackupUploads(now: number): Promise<number> {
    const { db } = this.#d.database;
    const startedBefore = now - (this.#d.backupIncompleteMs ?? BACKUP_INCOMPLETE_MS);
    let total = 0;
    for (;;) {
      const stale = await findStaleUploads(db, startedBefore, BACKUP_SWEEP_BATCH);
      total += await deleteStaleUploads(db, stale, startedBefore);
      if (stale.length < BACKUP_SWEEP_BATCH) return total;
    }
  }

  async #sweep(): Promise<SweepResult> {
    const { database, log, metrics } = this.#d;
    const batch = this.#d.batch ?? 500;
    let messages = 0;
    let challenges = 0;
    let attachments = 0;
    let accounts = 0;
    let rendezvous = 0;
    let backupUploads = 0;
    try {
      const now = this.#d.now();
      for (;;) {
        const n = await deleteExpired(database.db, now, batch);
        messages += n;
        if (n < batch) break;
      }
      attachments = await this.#sweepAttachmentsSafely(now);
      backupUploads = await this.#sweepBackupUploads(now);
      metrics.backupUploadsSwept.inc({}, backupUploads);
      for (;;) {
        const n = await deleteExpiredRendezvous(database.db, now, 100);
        rendezvous += n;
        if (n < 100) break;
      }
      challenges = await purgeExpiredChallenges(database.db, now);
      const unclaimed = this.#d.unclaimedAccountMs;
      if (unclaimed !== undefined) {
        for (;;) {
          const n = await deleteUnclaimedAccounts(database.db, now - unclaimed, 100);
          accounts += n;
          if (n < 100) break;
        }
      }
      await this.#truncateWal();
      metrics.expired.inc({}, messages);
      const swept = { messages, challenges, attachments, accounts, rendezvous, backupUploads };
      if (Object.values(swept).some((n) => n > 0)) log.info('expiry.swept', swept);
    } catch (error) {
      log.error('expiry.sweep_failed', {
        error: error instanceof Error ? error.name : 'unknown',
        detail: safeErrorText(error),
      });
    }
    return { messages, challenges, attachments, accounts, rendezvous, backupUploads };
  }
}
