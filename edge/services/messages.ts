/**
 * Sending, delivering and acknowledging messages. A send is checked against
 * the recipients' current device lists (Signal-Server's 409/410 as one
 * `mismatch` answer), then every copy is written in one statement before the
 * sender hears `stored`; only then are the recipients' sockets signalled.
 */
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import type { MismatchUser, SendFrame } from '../../shared/wire/frames.ts';
import { blockersOf } from '../db/blocks.ts';
import { listDeviceIds, listRemovedDeviceIds } from '../db/devices.ts';
import type { Db } from '../db/open.ts';
import { acknowledge, countPending, enqueue, pending, type QueueRow } from '../db/queue.ts';
import type { DeviceAddress, Fanout } from '../fanout/fanout.ts';

export type SendOutcome =
  | { readonly kind: 'stored'; readonly copies: number; readonly transient: boolean }
  | { readonly kind: 'mismatch'; readonly users: MismatchUser[] };

export interface MessageServiceDeps {
  readonly db: Db;
  readonly fanout: Fanout;
  readonly now: () => number;
  readonly retentionMs: number;
  /** Encodes a transient delivery for the fan-out (the hub owns frame encoding). */
  readonly encodeTransient: (frame: TransientDelivery) => Uint8Array;
}

export interface TransientDelivery {
  readonly id: Uint8Array;
  readonly from: string;
  readonly fromDevice: number;
  readonly body: Uint8Array;
  readonly sentAt: number;
}

function sortedNumbers(values: Iterable<number>): number[] {
  return [...values].sort((a, b) => a - b);
}

export class MessageService {
  readonly #d: MessageServiceDeps;

  constructor(deps: MessageServiceDeps) {
    this.#d = deps;
  }

  /**
   * Compares each recipient's addressed devices with the registered ones. The
   * sender's own device never receives its own copy, so addressing it is "extra"
   * and it is never "missing".
   */
  async #mismatches(sender: DeviceAddress, frame: SendFrame): Promise<MismatchUser[]> {
    const out: MismatchUser[] = [];
    for (const recipient of frame.to) {
      const registered = new Set(await listDeviceIds(this.#d.db, recipient.user));
      if (recipient.user === sender.accountId) registered.delete(sender.deviceId);
      const addressed = new Set(recipient.devices.map((d) => d.device));
      const missing = [...registered].filter((id) => !addressed.has(id));
      const unknown = [...addressed].filter((id) => !registered.has(id));
      // Removed ids are looked up only when something is off (not on every send).
      const removed =
        unknown.length === 0
          ? new Set<number>()
          : new Set(await listRemovedDeviceIds(this.#d.db, recipient.user));
      const stale = unknown.filter((id) => removed.has(id));
      const extra = unknown.filter((id) => !removed.has(id));
      if (missing.length + stale.length + extra.length > 0) {
        out.push({
          user: recipient.user,
          missing: sortedNumbers(missing),
          extra: sortedNumbers(extra),
          stale: sortedNumbers(stale),
        });
      }
    }
    return out;
  }

  async send(sender: DeviceAddress, frame: SendFrame): Promise<SendOutcome> {
    const now = this.#d.now();
    if (
      frame.expiresAt !== undefined &&
      (frame.expiresAt <= now || frame.expiresAt > now + this.#d.retentionMs)
    ) {
      throw new ParleyError(
        ErrorCode.EXPIRES_AT_INVALID,
        'expiresAt must be in the future and within the retention period',
      );
    }
    const mismatch = await this.#mismatches(sender, frame);
    if (mismatch.length > 0) return { kind: 'mismatch', users: mismatch };
    // Recipients who blocked the sender get nothing; the sender is not told (as in Signal).
    const blockers = await blockersOf(
      this.#d.db,
      sender.accountId,
      frame.to.map((r) => r.user),
    );
    const to = blockers.size === 0 ? frame.to : frame.to.filter((r) => !blockers.has(r.user));

    if (frame.transient === true) {
      let copies = 0;
      for (const recipient of to) {
        for (const device of recipient.devices) {
          const body = device.body ?? frame.body;
          if (body === undefined) continue;
          const encoded = this.#d.encodeTransient({
            id: frame.id,
            from: sender.accountId,
            fromDevice: sender.deviceId,
            body,
            sentAt: now,
          });
          await this.#d.fanout.signal(
            { accountId: recipient.user, deviceId: device.device },
            { type: 'transient', frame: encoded },
          );
          copies++;
        }
      }
      return { kind: 'stored', copies, transient: true };
    }

    const expiresAt = Math.min(
      frame.expiresAt ?? Number.MAX_SAFE_INTEGER,
      now + this.#d.retentionMs,
    );
    const rows = to.flatMap((recipient) =>
      recipient.devices.map((device) => ({
        recipientAccount: recipient.user,
        recipientDevice: device.device,
        senderAccount: sender.accountId,
        senderDevice: sender.deviceId,
        clientMessageId: frame.id,
        ciphertext: device.body ?? frame.body ?? new Uint8Array(),
        createdAt: now,
        expiresAt,
        senderExpiresAt: frame.expiresAt ?? null,
      })),
    );
    const inserted = await enqueue(this.#d.db, rows);
    // Signals go out after the commit; a lost one only delays delivery (the queue is the truth).
    await Promise.all(
      inserted.map((row) =>
        this.#d.fanout.signal(
          { accountId: row.recipientAccount, deviceId: row.recipientDevice },
          { type: 'queued', seq: row.seq },
        ),
      ),
    );
    return { kind: 'stored', copies: rows.length, transient: false };
  }

  pending(device: DeviceAddress, afterSeq: number, limit: number): Promise<QueueRow[]> {
    return pending(this.#d.db, device.accountId, device.deviceId, afterSeq, this.#d.now(), limit);
  }

  countPending(device: DeviceAddress): Promise<number> {
    return countPending(this.#d.db, device.accountId, device.deviceId, this.#d.now());
  }

  acknowledge(device: DeviceAddress, seqs: readonly number[]): Promise<number> {
    return acknowledge(this.#d.db, device.accountId, device.deviceId, seqs);
  }
}
