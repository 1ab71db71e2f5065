/**
 * The account's devices as the user sees them (docs/client.md, "Linked
 * devices"): the signed device list decides which devices belong to the
 * account; the relay's directory only adds their names and dates. Unlinking
 * publishes the next list version without the device (the relay revokes it
 * when it stores that version); a device the list never named (registered
 * but never listed) is removed through the relay's plain removal.
 */
import { ErrorCode, isParleyError } from '../../errors.ts';
import type { OwnDeviceView } from '../account/own-devices.ts';
import type { SignedDeviceListApi } from './own-list.ts';

type ListApi = Pick<SignedDeviceListApi, 'current' | 'remove' | 'ensureSelfListed'>;

interface DirectoryApi {
  /** Every device the relay has registered for the account, listed or not. */
  listDevices(): Promise<OwnDeviceView[]>;
  removeDevice(deviceId: number): Promise<void>;
}

/** Registered devices the account's signed list names (all of them while it has none). */
export async function listedOwnDevices(
  registered: () => Promise<OwnDeviceView[]>,
  list: ListApi,
): Promise<OwnDeviceView[]> {
  const [devices, current] = await Promise.all([registered(), list.current()]);
  if (current === undefined) return devices;
  return devices.filter((d) => current.devices.some((e) => e.deviceId === d.id));
}

/** Unlinks a device: list v+1 without it, or the plain removal for a device never listed. */
export async function unlinkOwnDevice(
  list: ListApi,
  removeUnlisted: (deviceId: number) => Promise<void>,
  deviceId: number,
): Promise<void> {
  const current = await list.current();
  if (current?.devices.some((d) => d.deviceId === deviceId)) {
    await list.remove(deviceId);
    return;
  }
  await removeUnlisted(deviceId);
}

/**
 * Removes every device of the account but this one ("I lost my device"):
 * the listed ones through the signed list, then those the relay registered
 * but the list never named (a link abandoned after the payload: such a
 * device holds the identity key). Returns the removed ids, listed first.
 */
export async function removeOtherOwnDevices(relay: DirectoryApi, list: ListApi): Promise<number[]> {
  const listed = await list.ensureSelfListed();
  const registered = await relay.listDevices();
  const self = registered.find((d) => d.current)?.id;
  const others = listed.devices.map((d) => d.deviceId).filter((id) => id !== self);
  for (const id of others) await list.remove(id);
  const unlisted = registered.filter((d) => !d.current && !others.includes(d.id)).map((d) => d.id);
  for (const id of unlisted) {
    try {
      await relay.removeDevice(id);
    } catch (error) {
      // Gone already: fine. Listed itself meanwhile: unlist it instead.
      if (isParleyError(error, ErrorCode.DEVICE_LISTED)) await list.remove(id);
      else if (!isParleyError(error, ErrorCode.NOT_FOUND)) throw error;
    }
  }
  return [...others, ...unlisted];
}

/** ParleyClient.listDevices, removeDevice and removeOtherDevices, over the relay's directory and the signed list. */
export function listedDevicesApi(relay: DirectoryApi, list: ListApi) {
  return {
    listDevices: () => listedOwnDevices(() => relay.listDevices(), list),
    removeDevice: (deviceId: number) =>
      unlinkOwnDevice(list, (id) => relay.removeDevice(id), deviceId),
    removeOtherDevices: () => removeOtherOwnDevices(relay, list),
  };
}
