/**
 * Our own account's signed device list (docs/protocol.md, "Device list"):
 * the one API that changes it. Every change signs version held+1 with the
 * account identity key, chaining to the held list, and publishes it; the
 * relay refuses a version that does not follow its own, so two devices
 * changing the list at once cannot both win: the loser fetches the new
 * version and signs again on top of it.
 *
 *   signedDeviceList.current()          the held list after a fresh fetch
 *   signedDeviceList.add(device)        list a registered device (device linking)
 *   signedDeviceList.remove(deviceId)   unlink: the relay revokes it at once
 *   signedDeviceList.ensureSelfListed() this device adds itself (accounts from before lists)
 */
import type { Bytes } from '../../bytes.ts';
import {
  DEVICE_LIST_HASH_BYTES,
  type DeviceListEntry,
  type SignedDeviceList,
  signDeviceBinding,
  signDeviceList,
} from '../../crypto/device-list.ts';
import { ErrorCode, fail, isParleyError } from '../../errors.ts';
import type { SessionContext } from '../sessions/sessions.ts';
import { Batch } from '../store/batch.ts';
import type { RecordStore } from '../store/store.ts';
import { isListed, observeDeviceLists, readHeldList } from './held-lists.ts';

/** A device to list: its id, its key, and its own binding signature (signDeviceBinding, made on it). */
export interface DeviceToList {
  readonly deviceId: number;
  readonly deviceKey: Bytes;
  readonly binding: Bytes;
}

export interface OwnListHost {
  readonly records: RecordStore;
  readonly now: () => number;
  sessionContext(): SessionContext | undefined;
}

/** Tries before giving up when other devices keep publishing first. */
const PUBLISH_ATTEMPTS = 3;

function requireContext(host: OwnListHost): SessionContext {
  const ctx = host.sessionContext();
  if (ctx === undefined) fail(ErrorCode.NOT_REGISTERED, 'No registered account');
  return ctx;
}

/** Fetches our lists from the relay and holds the newest valid one (committed). */
async function refreshHeld(
  host: OwnListHost,
  ctx: SessionContext,
): Promise<SignedDeviceList | undefined> {
  const own = ctx.account.userId;
  const directory = await ctx.api.deviceList(own);
  const batch = new Batch(host.records);
  const observed = await observeDeviceLists(
    batch,
    own,
    ctx.account.publicIdentity.signing,
    directory.deviceLists,
  );
  await batch.commit();
  if (observed.held?.fork !== undefined) {
    fail(ErrorCode.DEVICE_LIST_FORK, 'Our own account has two different device lists', {
      version: observed.held.list.version,
    });
  }
  return observed.held?.list;
}

type Change = (devices: readonly DeviceListEntry[]) => DeviceListEntry[] | undefined;

/** Signs and publishes held+1 with `change` applied; undefined change result = nothing to do. */
async function publishChange(host: OwnListHost, change: Change): Promise<SignedDeviceList> {
  const ctx = requireContext(host);
  for (let attempt = 1; ; attempt++) {
    const held = await refreshHeld(host, ctx);
    const devices = change(held?.devices ?? []);
    if (devices === undefined) {
      if (held !== undefined) return held;
      fail(ErrorCode.NOT_FOUND, 'The account has no device list to change');
    }
    const next = await signDeviceList(ctx.account.identity.signing.privateKey, {
      userId: ctx.account.userId,
      identityKey: ctx.account.publicIdentity.signing,
      version: (held?.version ?? 0) + 1,
      prevHash: held?.hash ?? new Uint8Array(DEVICE_LIST_HASH_BYTES),
      issuedAt: host.now(),
      devices,
    });
    try {
      await ctx.api.publishDeviceList(next.encoded);
    } catch (e) {
      const raced =
        isParleyError(e, ErrorCode.DEVICE_LIST_ROLLBACK) ||
        isParleyError(e, ErrorCode.DEVICE_LIST_CHAIN_BROKEN);
      if (raced && attempt < PUBLISH_ATTEMPTS) continue;
      throw e;
    }
    const batch = new Batch(host.records);
    await observeDeviceLists(batch, ctx.account.userId, ctx.account.publicIdentity.signing, [
      ...(held === undefined ? [] : [held.encoded]),
      next.encoded,
    ]);
    await batch.commit();
    return next;
  }
}

async function selfEntry(ctx: SessionContext, now: number): Promise<DeviceListEntry> {
  const { account } = ctx;
  return {
    deviceId: account.deviceId,
    deviceKey: account.record.deviceKey,
    addedAt: now,
    addedBy: account.deviceId,
    binding: await signDeviceBinding(
      account.deviceKey,
      account.userId,
      account.publicIdentity.signing,
      account.deviceId,
    ),
  };
}

export function createSignedDeviceList(host: OwnListHost) {
  return {
    /** Our list as the relay serves it now, checked and held (undefined: none published yet). */
    async current(): Promise<SignedDeviceList | undefined> {
      return refreshHeld(host, requireContext(host));
    },

    /** The list we hold, without asking the relay. */
    async held(): Promise<SignedDeviceList | undefined> {
      const ctx = requireContext(host);
      return (await readHeldList(new Batch(host.records), ctx.account.userId))?.list;
    },

    /**
     * Lists a device that is registered on the relay (it must be: the relay
     * refuses unregistered ones). Its binding is made on that device.
     */
    add(device: DeviceToList): Promise<SignedDeviceList> {
      const ctx = requireContext(host);
      const by = ctx.account.deviceId;
      return publishChange(host, (devices) => {
        if (devices.some((d) => d.deviceId === device.deviceId)) return undefined;
        return [...devices, { ...device, addedAt: host.now(), addedBy: by }];
      });
    },

    /** Unlinks a device: the relay revokes it when it stores the new version. */
    remove(deviceId: number): Promise<SignedDeviceList> {
      return publishChange(host, (devices) => {
        if (!devices.some((d) => d.deviceId === deviceId)) return undefined;
        const rest = devices.filter((d) => d.deviceId !== deviceId);
        if (rest.length === 0)
          fail(ErrorCode.BAD_ARGUMENT, 'A device list keeps at least one device');
        return rest;
      });
    },

    /** This device in the list: version 1 for an account with none, else held+1 adding it. */
    async ensureSelfListed(): Promise<SignedDeviceList> {
      const ctx = requireContext(host);
      const self = await selfEntry(ctx, host.now());
      return publishChange(host, (devices) =>
        devices.some((d) => d.deviceId === self.deviceId) ? undefined : [...devices, self],
      );
    },
  };
}

export type SignedDeviceListApi = ReturnType<typeof createSignedDeviceList>;

/** Does `list` name this device? */
export function listsSelf(ctx: SessionContext, list: SignedDeviceList): boolean {
  return isListed(list, ctx.account.deviceId, ctx.account.record.deviceKey);
}
