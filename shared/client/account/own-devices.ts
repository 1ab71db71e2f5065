/**
 * The account's own devices as the relay lists them, and removing one
 * (docs/client.md, "Devices"). Removal is signed by the identity key (a
 * management request), so any device of the account can remove any other
 * without a passkey. The relay's list is its word only; the signed device list
 * (docs/protocol.md) is what peers will trust.
 */
import type { RelayApi } from '../relay/relay-api.ts';

export interface OwnDeviceView {
  readonly id: number;
  readonly name: string | null;
  readonly createdAt: number;
  /** When it last connected to the relay (null: never, or before the relay kept it). */
  readonly lastSeenAt: number | null;
  /** This device. */
  readonly current: boolean;
}

export async function listOwnDevices(
  api: RelayApi,
  user: string,
  self: number,
): Promise<OwnDeviceView[]> {
  const list = await api.deviceList(user);
  return list.devices
    .map((d) => ({
      id: d.id,
      name: d.name ?? null,
      createdAt: d.createdAt,
      lastSeenAt: d.lastSeenAt ?? null,
      current: d.id === self,
    }))
    .sort((a, b) => a.createdAt - b.createdAt);
}

export function removeOwnDevice(api: RelayApi, device: number): Promise<void> {
  return api.removeDevice(device);
}

export interface OwnDevicesHost {
  requireAccount(): { readonly userId: string; readonly deviceId: number };
  requireApi(): RelayApi;
  /** Throws unless the vault is unlocked (removal is signed by the identity key). */
  requireUnlocked(): unknown;
}

/** The public part (ParleyClient.listDevices, removeDevice). */
export function ownDevicesApi(host: OwnDevicesHost) {
  return {
    listDevices: (): Promise<OwnDeviceView[]> => {
      const a = host.requireAccount();
      return listOwnDevices(host.requireApi(), a.userId, a.deviceId);
    },
    /** This device's name as its account's other devices see it. */
    renameDevice: (name: string): Promise<void> => host.requireApi().renameDevice(name),
    removeDevice: (deviceId: number): Promise<void> => {
      host.requireUnlocked();
      return removeOwnDevice(host.requireApi(), deviceId);
    },
  };
}
