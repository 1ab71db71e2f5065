/**
 * Sending, delivering and acknowledging messages. A send is checked against
 * the recipients' current device lists (Signal-Server's 409/410 as one
 * `mismatch` answer), then every copy is written - group-committed with the
 * other sends of the same event-loop turn - before the sender hears
 * `stored`; only then are the recipients' sockets signalled.
 */
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import type { MismatchUser, SendFrame } from '../../shared/wire/frames.ts';
import { blockersOf } from '../db/blocks.ts';
import { listRemovedDeviceIds } from '../db/devices.ts';
import type { Db } from '../db/open.ts';
import { countPending, type NewQueueRow, type QueueRow } from '../db/queue.ts';
import type { QueueStore } from '../db/queue-store.ts';
import type { DeviceAddress, Fanout } from '../fanout/fanout.ts';
import type { DeviceListCache } from './device-list-cache.ts';
import type { SendQuota } from './send-quota.ts';

export type SendOutcome =
  | { readonly kind: 'stored'; readonly copies: number; readonly transient: boolean }
  | { readonly kind: 'mismatch'; readonly users: MismatchUser[] };

export interface MessageServiceDeps {
  readonly db: Db;
  readonly queue: QueueStore;
  readonly deviceLists: DeviceListCache;
  readonly fanout: Fanout;
  readonly now: () => number;
  readonly retentionMs: number;
  /** Storage and byte caps checked before a stored send is written. */
  readonly quota: SendQuota;
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

function ignore(): void {}

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
   * and it is never "missing". Only the accounts the frame names are checked;
   * one named with no devices gets all its routed devices as "missing" (a
   * sender names its own account so when it knows no other device of its
   * own). Frames that leave the sender's account out (receipts, retries, key
   * requests, typing) are not asked for its devices: the relay cannot tell
   * them from a text (docs/protocol.md, "Own devices in every send").
   * Cached lists answer the common case; any difference is confirmed against
   * the database before it is reported.
   */
  async #mismatches(sender: DeviceAddress, frame: SendFrame): Promise<MismatchUser[]> {
    const out: MismatchUser[] = [];
    for (const recipient of frame.to) {
      const cached = this.#d.deviceLists.peek(recipient.user);
      if (cached !== undefined && this.#matches(sender, recipient, cached)) continue;
      const registered = await this.#d.deviceLists.refresh(recipient.user);
      if (this.#matches(sender, recipient, registered)) continue;
      out.push(await this.#describe(sender, recipient, registered));
    }
    return out;
  }

  /** True when `recipient.devices` addresses exactly the registered devices (minus the sender). */
  #matches(
    sender: DeviceAddress,
    recipient: SendFrame['to'][number],
    registered: readonly number[],
  ): boolean {
    const own = recipient.user === sender.accountId;
    let expected = registered.length;
    if (own && registered.includes(sender.deviceId)) expected--;
    if (recipient.devices.length !== expected) return false;
    for (const d of recipient.devices) {
      if (own && d.device === sender.deviceId) return false;
      if (!registered.includes(d.device)) return false;
    }
    // Duplicates are rejected by the frame schema, so equal sizes and inclusion mean equality.
    return true;
  }

  async #describe(
    sender: DeviceAddress,
    recipient: SendFrame['to'][number],
    registeredIds: readonly number[],
  ): Promise<MismatchUser> {
    const registered = new Set(registeredIds);
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
    return {
      user: recipient.user,
      missing: sortedNumbers(missing),
      extra: sortedNumbers(extra),
      stale: sortedNumbers(stale),
    };
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

    if (frame.transient === true) {
      // Recipients who blocked the sender get nothing; the sender is not told (as in Signal).
      // Stored copies are filtered by the insert itself (queue-store.ts).
      const blockers = await blockersOf(
        this.#d.db,
        sender.accountId,
        frame.to.map((r) => r.user),
      );
      const to = blockers.size === 0 ? frame.to : frame.to.filter((r) => !blockers.has(r.user));
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

    await this.#d.quota.checkStorage();
    const expiresAt = Math.min(
      frame.expiresAt ?? Number.MAX_SAFE_INTEGER,
      now + this.#d.retentionMs,
    );
    // Copies for recipients who blocked the sender are dropped by the insert itself; the
    // quota leaves them out, so it neither counts nor reveals them.
    const rows: NewQueueRow[] = [];
    for (const recipient of frame.to) {
      for (const device of recipient.devices) {
        // A copy without its own body shares the frame's: stored once, referenced by each.
        const shared = device.body === undefined && frame.body !== undefined;
        rows.push({
          recipientAccount: recipient.user,
          recipientDevice: device.device,
          senderAccount: sender.accountId,
          senderDevice: sender.deviceId,
          clientMessageId: frame.id,
          ciphertext: device.body ?? frame.body ?? new Uint8Array(),
          createdAt: now,
          expiresAt,
          senderExpiresAt: frame.expiresAt ?? null,
          shared,
        });
      }
    }
    await this.#d.quota.check(sender, rows);
    const inserted = await this.#d.queue.enqueue(rows);
    // Read right after the commit (no other commit can run before this continuation).
    const epoch = this.#d.queue.writerEpoch;
    // Signals go out after the commit; a lost one only delays delivery (the queue is the truth).
    // Fan-out implementations log and swallow their own failures; nothing to add here.
    for (const copy of inserted) {
      const row = rows[copy.index];
      if (row === undefined) continue;
      const { shared: _, ...served } = row;
      this.#d.fanout
        .signal(
          { accountId: row.recipientAccount, deviceId: row.recipientDevice },
          epoch === undefined
            ? { type: 'queued', seq: copy.seq }
            : {
                type: 'queued',
                seq: copy.seq,
                row: { ...served, senderExpiresAt: row.senderExpiresAt ?? null, seq: copy.seq },
                epoch,
              },
        )
        .catch(ignore);
    }
    return { kind: 'stored', copies: inserted.length, transient: false };
  }

  pending(device: DeviceAddress, afterSeq: number, limit: number): Promise<QueueRow[]> {
    return this.#d.queue.pending(device.accountId, device.deviceId, afterSeq, this.#d.now(), limit);
  }

  /** See QueueStore.writerEpoch. */
  get writerEpoch(): number | undefined {
    return this.#d.queue.writerEpoch;
  }

  countPending(device: DeviceAddress): Promise<number> {
    return countPending(this.#d.db, device.accountId, device.deviceId, this.#d.now());
  }

  acknowledge(device: DeviceAddress, seqs: readonly number[]): Promise<number> {
    return this.#d.queue.acknowledge(device.accountId, device.deviceId, seqs);
  }
}
