/**
 * The running client's upkeep: after every ready, our own device list is
 * refreshed (a new or removed device of this account); every hour, and
 * sooner when the relay reports few one-time prekeys left, prekeys are
 * refilled and rotated and the dedupe and resend records pruned. The last
 * run is persisted: an MV3 worker rarely lives an hour.
 */
import * as v from 'valibot';
import type { SignedDeviceList } from '../../crypto/device-list.ts';
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
import type { SyncPayload } from '../sessions/content.ts';
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
  /** Queues a sync for our other devices in `batch` (docs/client.md, "Own-device sync"). */
  stageSync(batch: Batch, payload: SyncPayload): Promise<void>;
  /** The outbox has something new. */
  pump(): void;
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
   * device means it was unlinked (undefined). `published`: this device
   * signed a new version (our other devices are told).
   */
  async function refreshOwnList(ctx: NonNullable<ReturnType<typeof host.sessionContext>>) {
    let held = await ownList.current();
    const announced = await announceOwnList(host, ctx, held);
    if (held !== undefined && !listsSelf(ctx, held) && announced.selfWasListed) {
      host.events.emit('unlinked', { at: now(), reason: 'not-listed' });
      return undefined;
    }
    let published = false;
    if (held === undefined || !listsSelf(ctx, held)) {
      const before = held?.version ?? 0;
      held = await ownList.ensureSelfListed();
      published = held.version > before;
      await announceOwnList(host, ctx, held);
    }
    return { held, published };
  }

  async function refreshOwnDevices(): Promise<void> {
    const ctx = host.sessionContext();
    if (ctx === undefined) return;
    const own = ctx.account.userId;
    let listed: SignedDeviceList | undefined;
    let published = false;
    try {
      const refreshed = await refreshOwnList(ctx);
      listed = refreshed?.held;
      published = refreshed?.published === true;
    } catch (e) {
      host.reportError(e, 'own device list');
      listed = (await ownList.held().catch(() => undefined)) ?? undefined;
    }
    const directory = await ctx.api.deviceList(own);
    const batch = new Batch(records);
    if (published && listed !== undefined) {
      await host.stageSync(batch, { k: 'device-list', ver: listed.version });
    }
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
    if (!same) {
      // Sessions are fetched lazily by the next send (with certificate checks);
      // removed devices lose theirs now.
      for (const id of known) if (!ids.includes(id)) dropDeviceSession(ctx, batch, own, id);
      stageDevices(ctx, batch, own, ids);
    }
    await batch.commit();
    if (published) host.pump();
  }

  /**
   * After this device signed a new list (linking, unlinking): announced
   * here, our own device sessions follow it at once (a removed device loses
   * its session, so every group we write in rotates our sender key before
   * the next message: groups/send.ts), and our other devices are told to
   * fetch it now rather than at their next connect.
   */
  async function afterOwnChange(before: number, list: SignedDeviceList): Promise<void> {
    const ctx = host.sessionContext();
    if (ctx === undefined) return;
    await announceOwnList(host, ctx, list);
    if (list.version <= before) return;
    try {
      await queue.run(refreshOwnDevices);
    } catch (e) {
      host.reportError(e, 'own devices');
    }
    await transact((batch) => host.stageSync(batch, { k: 'device-list', ver: list.version }));
    host.pump();
  }

  /** The held version before a change (0: none). */
  async function heldVersion(): Promise<number> {
    return (await ownList.held().catch(() => undefined))?.version ?? 0;
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
      // A change made here is announced here and on our other devices at once.
      async add(device: Parameters<typeof ownList.add>[0]) {
        const before = await heldVersion();
        const list = await ownList.add(device);
        await afterOwnChange(before, list);
        return list;
      },
      async remove(deviceId: number) {
        const before = await heldVersion();
        const list = await ownList.remove(deviceId);
        await afterOwnChange(before, list);
        return list;
      },
      async ensureSelfListed() {
        const before = await heldVersion();
        const list = await ownList.ensureSelfListed();
        await afterOwnChange(before, list);
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
