/**
 * The account's devices as the user sees them (docs/client.md, "Linked
 * devices"): the signed device list decides which devices belong to the
 * account; the relay's directory only adds their names and dates. Unlinking
 * publishes the next list version without the device (the relay revokes it
 * when it stores that version); a device the list never named (registered
 * but never listed) is removed through the relay's plain removal.
 */
import type { OwnDeviceView } from '../account/own-devices.ts';
import type { SignedDeviceListApi } from './own-list.ts';

type ListApi = Pick<SignedDeviceListApi, 'current' | 'remove'>;

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

/** ParleyClient.listDevices and removeDevice, over the relay's directory and the signed list. */
export function listedDevicesApi(
  relay: {
    listDevices(): Promise<OwnDeviceView[]>;
    removeDevice(deviceId: number): Promise<void>;
  },
  list: ListApi,
) {
  return {
    listDevices: () => listedOwnDevices(() => relay.listDevices(), list),
    removeDevice: (deviceId: number) =>
      unlinkOwnDevice(list, (id) => relay.removeDevice(id), deviceId),
  };
}
