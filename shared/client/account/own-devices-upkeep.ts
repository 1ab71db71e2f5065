/**
 * Our own device list kept current (docs/client.md, "Linked devices"): after
 * every ready it is refreshed (a new or removed device of this account) and
 * our own device sessions follow it; a change this device signs (linking,
 * unlinking) is announced here and to our other devices at once. Part of the
 * running client's upkeep (upkeep.ts).
 */
import type { SignedDeviceList } from '../../crypto/device-list.ts';
import { ContactStatus, publicIdentityOf } from '../contacts/contacts.ts';
import { announceOwnList } from '../devices/announce.ts';
import { isListed } from '../devices/held-lists.ts';
import { createSignedDeviceList, listsSelf } from '../devices/own-list.ts';
import type { ClientHost } from '../host.ts';
import type { SyncPayload } from '../sessions/content.ts';
import {
  checkIdentity,
  dropDeviceSession,
  knownDevices,
  type SessionContext,
  stageDevices,
} from '../sessions/sessions.ts';
import { Batch } from '../store/batch.ts';

export interface OwnDevicesUpkeepHost
  extends Pick<ClientHost, 'records' | 'queue' | 'transact' | 'now' | 'reportError' | 'events'> {
  sessionContext(): SessionContext | undefined;
  /** Queues a sync for our other devices in `batch` (docs/client.md, "Own-device sync"). */
  stageSync(batch: Batch, payload: SyncPayload): Promise<void>;
  /** The outbox has something new. */
  pump(): void;
}

export function createOwnDevicesUpkeep(host: OwnDevicesUpkeepHost) {
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
      host.events.emit('unlinked', { at: host.now(), reason: 'not-listed' });
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
    const batch = new Batch(host.records);
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
      await host.queue.run(refreshOwnDevices);
    } catch (e) {
      host.reportError(e, 'own devices');
    }
    await host.transact((batch) => host.stageSync(batch, { k: 'device-list', ver: list.version }));
    host.pump();
  }

  /** The held version before a change (0: none). */
  async function heldVersion(): Promise<number> {
    return (await ownList.held().catch(() => undefined))?.version ?? 0;
  }

  return {
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
        await host.queue.run(refreshOwnDevices);
      } catch (e) {
        host.reportError(e, 'own devices');
      }
    },
  };
}
