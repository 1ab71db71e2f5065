/** An account with devices and helpers to sign device lists, for device-list tests (crypto, relay, client). */

import {
  DEVICE_LIST_HASH_BYTES,
  type DeviceListEntry,
  type SignedDeviceList,
  signDeviceBinding,
  signDeviceList,
} from '../device-list.ts';
import { generateSigningKeyPair, type SigningKeyPair } from '../ed25519.ts';
import { generateIdentityKeyPair, type IdentityKeyPair } from '../identity.ts';

export interface ListDevice {
  readonly id: number;
  readonly key: SigningKeyPair;
}

export interface ListAccount {
  readonly userId: string;
  readonly identity: IdentityKeyPair;
  readonly devices: ListDevice[];
}

export async function listAccount(
  userId = '8d0b5a3e-0000-4000-8000-000000000001',
  deviceIds: readonly number[] = [1, 2, 3],
): Promise<ListAccount> {
  const identity = await generateIdentityKeyPair();
  const devices: ListDevice[] = [];
  for (const id of deviceIds) devices.push({ id, key: await generateSigningKeyPair(false) });
  return { userId, identity, devices };
}

export async function entryFor(
  account: ListAccount,
  device: ListDevice,
  addedBy = device.id,
  addedAt = 1_700_000_000_000,
): Promise<DeviceListEntry> {
  return {
    deviceId: device.id,
    deviceKey: device.key.publicKey,
    addedAt,
    addedBy,
    binding: await signDeviceBinding(
      device.key.privateKey,
      account.userId,
      account.identity.signing.publicKey,
      device.id,
    ),
  };
}

/** Signs version `previous.version + 1` (or 1) listing `devices`. */
export async function nextList(
  account: ListAccount,
  previous: SignedDeviceList | undefined,
  devices: readonly ListDevice[],
  issuedAt = 1_700_000_000_000 + (previous?.version ?? 0),
): Promise<SignedDeviceList> {
  const entries: DeviceListEntry[] = [];
  for (const d of devices) {
    const old = previous?.devices.find((e) => e.deviceId === d.id);
    entries.push(old ?? (await entryFor(account, d)));
  }
  return signDeviceList(account.identity.signing.privateKey, {
    userId: account.userId,
    identityKey: account.identity.signing.publicKey,
    version: (previous?.version ?? 0) + 1,
    prevHash: previous?.hash ?? new Uint8Array(DEVICE_LIST_HASH_BYTES),
    issuedAt,
    devices: entries,
  });
}
