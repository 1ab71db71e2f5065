/**
 * The running client's upkeep: after every ready, our own device list is
 * refreshed (a new or removed device of this account); every hour, and
 * sooner when the relay reports few one-time prekeys left, prekeys are
 * refilled and rotated and the dedupe and resend records pruned. The last
 * run is persisted: an MV3 worker rarely lives an hour.
 */
import * as v from 'valibot';
import {
  ONE_TIME_KEM_PREKEYS_REFILL_BELOW,
  ONE_TIME_PREKEYS_REFILL_BELOW,
} from '../../wire/limits.ts';
import { ContactStatus, publicIdentityOf } from '../contacts/contacts.ts';
import { announceOwnList } from '../devices/announce.ts';
import { isListed } from '../devices/held-lists.ts';
import { createSignedDeviceList, listsSelf } from '../devices/own-list.ts';
import type { ClientHost } from '../host.ts';
import { pruneSeen } from '../inbox/inbox.ts';
import { pruneSent } from '../inbox/retry.ts';
import {
  checkIdentity,
  dropDeviceSession,
  knownDevices,
  type SessionContext,
  stageDevices,
} from '../sessions/sessions.ts';
import { Batch } from '../store/batch.ts';
import { decodeRecord, encodeRecord, IntField } from '../store/record-codec.ts';
import { Keys } from '../store/storage-keys.ts';
import type { ClientStorage } from '../store/store.ts';
import { type MaintenanceResult, maintainPrekeys } from './account.ts';

const MAINTENANCE_INTERVAL_MS = 60 * 60 * 1000;
const AtSchema = v.object({ at: IntField });

export interface UpkeepHost
  extends Pick<
    ClientHost,
    'records' | 'queue' | 'transact' | 'timers' | 'now' | 'random' | 'reportError' | 'events'
  > {
  readonly storage: ClientStorage;
  sessionContext(): SessionContext | undefined;
}

/** The one-time prekey counts a `ready` frame reports (an older relay omits the ML-KEM one). */
export interface ReadyPrekeyStock {
  readonly oneTimePreKeys?: number | undefined;
  readonly oneTimeKemPreKeys?: number | undefined;
}

/** Below the refill mark of either kind: maintenance now rather than at the hour. */
export function runsLow(stock: ReadyPrekeyStock): boolean {
  const { oneTimePreKeys, oneTimeKemPreKeys } = stock;
  return (
    (oneTimePreKeys !== undefined && oneTimePreKeys < ONE_TIME_PREKEYS_REFILL_BELOW) ||
    (oneTimeKemPreKeys !== undefined && oneTimeKemPreKeys < ONE_TIME_KEM_PREKEYS_REFILL_BELOW)
  );
}

export function createUpkeep(host: UpkeepHost) {
  const { records, queue, transact, timers, now, random, storage } = host;
  let timer: unknown;

  /** When prekeys were last checked. */
  async function lastMaintenance(): Promise<number | undefined> {
    const raw = await records.get(Keys.maintenance);
    return raw === undefined ? undefined : decodeRecord(AtSchema, raw, 'maintenance').at;
  }

  const ownList = createSignedDeviceList(host);

  /**
   * Our signed device list (docs/client.md, "Linked devices"): held afresh,
   * this device added when it is not listed yet (accounts from before signed
   * lists, or a first connect), changes announced. A list that dropped this
   * device means it was unlinked. Returns false when unlinked.
   */
  async function refreshOwnList(ctx: NonNullable<ReturnType<typeof host.sessionContext>>) {
    let held = await ownList.current();
    const announced = await announceOwnList(host, ctx, held);
    if (held !== undefined && !listsSelf(ctx, held) && announced.selfWasListed) {
      host.events.emit('unlinked', { at: now(), reason: 'not-listed' });
      return undefined;
    }
    if (held === undefined || !listsSelf(ctx, held)) {
      held = await ownList.ensureSelfListed();
      await announceOwnList(host, ctx, held);
    }
    return held;
  }

  async function refreshOwnDevices(): Promise<void> {
    const ctx = host.sessionContext();
    if (ctx === undefined) return;
    const own = ctx.account.userId;
    let listed: Awaited<ReturnType<typeof refreshOwnList>>;
    try {
      listed = await refreshOwnList(ctx);
    } catch (e) {
      host.reportError(e, 'own device list');
      listed = (await ownList.held().catch(() => undefined)) ?? undefined;
    }
    const directory = await ctx.api.deviceList(own);
    const batch = new Batch(records);
    await checkIdentity(
      ctx,
      batch,
      own,
      publicIdentityOf(directory.identity),
      ContactStatus.ACCEPTED,
    );
    const ids = directory.devices
      .filter((d) => listed === undefined || isListed(listed, d.id, d.key))
      .map((d) => d.id)
      .filter((id) => id !== ctx.account.deviceId);
    const known = (await knownDevices(batch, own)) ?? [];
    const same = known.length === ids.length && known.every((id) => ids.includes(id));
    if (same) return;
    // Sessions are fetched lazily by the next send (with certificate checks);
    // removed devices lose theirs now.
    for (const id of known) if (!ids.includes(id)) dropDeviceSession(ctx, batch, own, id);
    stageDevices(ctx, batch, own, ids);
    await batch.commit();
  }

  async function runMaintenance(): Promise<MaintenanceResult | undefined> {
    const ctx = host.sessionContext();
    if (ctx === undefined) return undefined;
    try {
      return await transact(async (batch) => {
        const result = await maintainPrekeys({ storage, now, random }, ctx.api, ctx.account);
        await pruneSeen(batch, now());
        await pruneSent(batch, now());
        batch.set(Keys.maintenance, encodeRecord({ at: now() }));
        return result;
      });
    } catch (e) {
      host.reportError(e, 'prekey maintenance');
      return undefined;
    }
  }

  function schedule(): void {
    timer = timers.setTimeout(() => {
      void runMaintenance().finally(() => {
        if (timer !== undefined) schedule();
      });
    }, MAINTENANCE_INTERVAL_MS);
  }

  return {
    runMaintenance,
    /** The API that changes our signed device list (device linking and unlinking use it). */
    signedDeviceList: {
      ...ownList,
      // A change made here is announced here at once (other devices at their next refresh).
      async add(device: Parameters<typeof ownList.add>[0]) {
        const list = await ownList.add(device);
        const ctx = host.sessionContext();
        if (ctx !== undefined) await announceOwnList(host, ctx, list);
        return list;
      },
      async remove(deviceId: number) {
        const list = await ownList.remove(deviceId);
        const ctx = host.sessionContext();
        if (ctx !== undefined) await announceOwnList(host, ctx, list);
        return list;
      },
    },
    /** Our own device list, on the serial queue (failures reported, not thrown). */
    async refreshOwnDevices(): Promise<void> {
      try {
        await queue.run(refreshOwnDevices);
      } catch (e) {
        host.reportError(e, 'own devices');
      }
    },
    /**
     * After a ready: maintenance when an hour has passed or the relay runs low
     * on either kind of our one-time prekeys.
     */
    async onReady(stock: ReadyPrekeyStock = {}): Promise<void> {
      const last = await lastMaintenance();
      const due = last === undefined || now() - last >= MAINTENANCE_INTERVAL_MS;
      if (due || runsLow(stock)) void runMaintenance();
    },
    start: schedule,
    stop(): void {
      if (timer !== undefined) timers.clearTimeout(timer);
      timer = undefined;
    },
  };
}
