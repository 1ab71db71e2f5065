/**
 * What a stored send may cost, checked before anything is written (docs/relay.md,
 * "Limits and abuse"). Per-sender copy counts alone let one device write gigabytes a
 * minute and fill one recipient's queue for 30 days; these bound the bytes:
 *
 *  - the database as a whole: above a watermark of bytes in use, new sends
 *    are refused (STORAGE_FULL) while acks, which free space, still work;
 *  - each recipient device: a cap on queued copies and on queued body bytes
 *    (QUEUE_FULL), so nobody can bury a device, however many senders;
 *  - each sending device: stored bytes per window (RATE_LIMITED);
 *  - each (sender account, recipient account) pair: sends per window
 *    (RATE_LIMITED). The relay cannot tell contacts from strangers - the
 *    contact list lives only in the clients' vaults, and recording who writes
 *    to whom would be a social graph on the server - so this per-pair quota
 *    stands in for a stricter limit on strangers: a stranger gets the same
 *    small budget towards each victim, a conversation rarely needs more.
 *
 * Recipients who blocked the sender are left out of every check: their
 * copies are dropped silently by the insert, and a "queue full" answer would
 * tell the sender more than the block does.
 */
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import type { NewQueueRow } from '../db/queue.ts';
import type { QueueStore } from '../db/queue-store.ts';
import type { DeviceAddress } from '../fanout/fanout.ts';
import type {
  ChargeInOrder,
  RateCharge,
  RateDecision,
  RateLimiter,
} from '../limits/rate-limiter.ts';

export interface SendQuotaOptions {
  readonly queue: Pick<QueueStore, 'usage' | 'blockersOf' | 'databaseBytes'>;
  readonly now: () => number;
  /** Stored bytes per sending device (a shared body counts once). */
  readonly bytesPerDevice: RateLimiter;
  /** Stored sends per (sender account, recipient account). */
  readonly sendsPerRecipient: RateLimiter;
  /** Charges the pairs and the bytes of one send together (limits/store.ts). */
  readonly chargeInOrder: ChargeInOrder;
  readonly maxQueuedPerDevice: number;
  readonly maxQueuedBytesPerDevice: number;
  /** Bytes in use above which stored sends are refused; 0 = no watermark. */
  readonly maxDatabaseBytes: number;
}

/** How long a measured database size is trusted (one PRAGMA round per second at most). */
const SIZE_TTL_MS = 1000;

/** A RATE_LIMITED refusal of a send, with the wait the error frame passes on. */
export function sendRateLimited(decision: RateDecision, what: string): ParleyError {
  return new ParleyError(ErrorCode.RATE_LIMITED, `Rate limit exceeded (${what})`, {
    retryAfterMs: decision.retryAfterSeconds * 1000,
  });
}

export class SendQuota {
  readonly #o: SendQuotaOptions;
  #size: { bytes: number | undefined; at: number } | undefined;
  #measuring: Promise<number | undefined> | undefined;

  constructor(options: SendQuotaOptions) {
    this.#o = options;
  }

  /** Bytes in use, measured at most once per SIZE_TTL_MS (concurrent callers share one read). */
  async #databaseBytes(): Promise<number | undefined> {
    const now = this.#o.now();
    if (this.#size !== undefined && now - this.#size.at < SIZE_TTL_MS) return this.#size.bytes;
    this.#measuring ??= this.#o.queue.databaseBytes().finally(() => {
      this.#measuring = undefined;
    });
    const bytes = await this.#measuring;
    this.#size = { bytes, at: now };
    return bytes;
  }

  /** Refuses stored sends while the database is above its watermark. */
  async checkStorage(): Promise<void> {
    if (this.#o.maxDatabaseBytes <= 0) return;
    const used = await this.#databaseBytes();
    if (used !== undefined && used >= this.#o.maxDatabaseBytes)
      throw new ParleyError(ErrorCode.STORAGE_FULL, 'The relay is out of storage for new messages');
  }

  /**
   * Charges the sender and checks every addressed device's queue; throws
   * RATE_LIMITED or QUEUE_FULL and writes nothing. Copies to recipients who
   * blocked the sender are ignored here (the insert drops them).
   */
  async check(sender: DeviceAddress, all: readonly NewQueueRow[]): Promise<void> {
    if (all.length === 0) return;
    const addressed = [...new Set(all.map((r) => r.recipientAccount))];
    // Reads first (two statements on the hot-path connection): a refusal for a full queue
    // costs the sender none of its budget.
    const [queued, blockers] = await Promise.all([
      this.#o.queue.usage(addressed),
      this.#o.queue.blockersOf(sender.accountId, addressed),
    ]);
    const rows = blockers.size === 0 ? all : all.filter((r) => !blockers.has(r.recipientAccount));
    if (rows.length === 0) return;
    const usage = new Map<string, { count: number; bytes: number }>();
    for (const u of queued) usage.set(`${u.account}/${u.device}`, u);
    const recipients = new Set<string>();
    let stored = 0;
    let sharedCounted = false;
    for (const row of rows) {
      recipients.add(row.recipientAccount);
      const before = usage.get(`${row.recipientAccount}/${row.recipientDevice}`);
      const count = (before?.count ?? 0) + 1;
      const bytes = (before?.bytes ?? 0) + row.ciphertext.length;
      if (count > this.#o.maxQueuedPerDevice || bytes > this.#o.maxQueuedBytesPerDevice)
        throw new ParleyError(
          ErrorCode.QUEUE_FULL,
          "A recipient device's queue is full: it must read its messages first",
          { user: row.recipientAccount },
        );
      if (row.shared === true) {
        if (sharedCounted) continue; // a shared body is written once
        sharedCounted = true;
      }
      stored += row.ciphertext.length;
    }

    // Copies to the sender's own devices are never charged (they are not strangers). Every
    // pair and the bytes go to the store as one ordered charge (one command, however many
    // accounts a group send addresses); a refused pair leaves the bytes and the pairs after it
    // uncharged, since nothing of the send is stored.
    const charges: RateCharge[] = [];
    for (const recipient of recipients) {
      if (recipient === sender.accountId) continue;
      charges.push({
        limiter: this.#o.sendsPerRecipient,
        key: `${sender.accountId}>${recipient}`,
      });
    }
    const pairs = charges.length;
    if (stored > 0)
      charges.push({
        limiter: this.#o.bytesPerDevice,
        key: `${sender.accountId}/${sender.deviceId}`,
        cost: stored,
      });
    if (charges.length === 0) return;
    const pending = this.#o.chargeInOrder(charges);
    const decision = pending instanceof Promise ? await pending : pending;
    if (!decision.allowed)
      throw sendRateLimited(
        decision,
        decision.refusedAt < pairs ? 'sends to this account' : 'bytes sent',
      );
  }
}
