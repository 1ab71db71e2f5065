/**
 * The expiry sweeper: deletes queue rows past their expiry (the sender's
 * `expiresAt`, or 30 days undelivered), stale passkey challenges, and
 * accounts that registered no device within the claim period (handle squatting),
 * and linking rendezvous past their five minutes. Reads
 * already skip expired rows, so the sweeper is about storage, not visibility.
 *
 * Deleted must mean gone from the file: the database runs with
 * secure_delete=ON (freed cells are zeroed), and after each sweep a
 * TRUNCATE checkpoint empties the write-ahead log, which otherwise keeps old
 * page images — acknowledged ciphertext included — until it is overwritten.
 */
import { deleteUnclaimedAccounts, purgeExpiredChallenges } from '../db/accounts.ts';
import { deleteExpiredAttachments } from '../db/attachments.ts';
import { deleteExpiredRendezvous } from '../db/link.ts';
import type { Database } from '../db/open.ts';
import { deleteExpired } from '../db/queue.ts';
import type { QueueStore } from '../db/queue-store.ts';
import type { Logger } from '../observability/log.ts';
import { safeErrorText } from '../observability/log.ts';
import type { RelayMetrics } from '../observability/metrics.ts';

const WAL_CHECKPOINT_ATTEMPTS = 5;
const WAL_CHECKPOINT_RETRY_MS = 50;

export interface SweepResult {
  readonly messages: number;
  readonly challenges: number;
  readonly attachments: number;
  readonly accounts: number;
  readonly rendezvous: number;
}

export interface SweeperDeps {
  readonly database: Database;
  /** Owns the connection that checkpoints the write-ahead log without blocking. */
  readonly queue: Pick<QueueStore, 'truncateWal'>;
  readonly log: Logger;
  readonly metrics: RelayMetrics;
  readonly now: () => number;
  /** An account with no device this long after its creation is deleted (undefined: never). */
  readonly unclaimedAccountMs?: number;
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

  async #sweep(): Promise<SweepResult> {
    const { database, log, metrics } = this.#d;
    const batch = this.#d.batch ?? 500;
    let messages = 0;
    let challenges = 0;
    let attachments = 0;
    let accounts = 0;
    let rendezvous = 0;
    try {
      const now = this.#d.now();
      for (;;) {
        const n = await deleteExpired(database.db, now, batch);
        messages += n;
        if (n < batch) break;
      }
      for (;;) {
        const n = await deleteExpiredAttachments(database.db, now, 50);
        attachments += n;
        if (n < 50) break;
      }
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
      if (messages + challenges + attachments + accounts + rendezvous > 0)
        log.info('expiry.swept', { messages, challenges, attachments, accounts, rendezvous });
    } catch (error) {
      log.error('expiry.sweep_failed', {
        error: error instanceof Error ? error.name : 'unknown',
        detail: safeErrorText(error),
      });
    }
    return { messages, challenges, attachments, accounts, rendezvous };
  }
}
