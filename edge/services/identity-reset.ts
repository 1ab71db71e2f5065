/**
 * "Remove and reset identity" on the relay (docs/protocol.md, "Resetting the
 * identity"; docs/wire.md, `resetIdentity`). It sits behind a session token
 * (a passkey login no more than the token's TTL ago), never the identity key,
 * which a stolen device still holds. Everything is checked before anything
 * changes: the registration under the new identity, and a device list of
 * version 1 signed by that identity naming this device alone. Then every
 * device of the account is revoked (socket closed 4001, queue and prekeys
 * deleted, ids never reused), the old identity and list chain are forgotten,
 * and the device and the list are stored as on a new account. Not one
 * transaction: a reset cut short leaves the account without devices, and the
 * same request can be sent again.
 */
import { equalBytes } from '../../shared/bytes.ts';
import { verifyDeviceList } from '../../shared/crypto/device-list.ts';
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import type { DeviceRegistration, IdentityResetResponse } from '../../shared/wire/rest-devices.ts';
import { forgetIdentityAndLists } from '../db/device-lists.ts';
import { listDeviceIds } from '../db/devices.ts';
import type { Db } from '../db/open.ts';
import { validateRegistration } from './registration-checks.ts';

export interface IdentityResetDeps {
  readonly db: Db;
  /** Removes and revokes one device of the account. */
  remove(deviceId: number): Promise<void>;
  /** Registers the device of the reset (its identity becomes the account's). */
  register(): Promise<unknown>;
  /** Stores the new list (version 1 of the new chain). */
  publish(encoded: Uint8Array): Promise<unknown>;
}

async function checkResetList(
  accountId: string,
  reg: DeviceRegistration,
  encoded: Uint8Array,
): Promise<void> {
  const list = await verifyDeviceList(encoded, {
    userId: accountId,
    identityKey: reg.identity.sig,
  });
  const only = list.devices[0];
  if (
    list.version !== 1 ||
    list.devices.length !== 1 ||
    only?.deviceId !== reg.device.id ||
    !equalBytes(only.deviceKey, reg.device.key)
  ) {
    throw new ParleyError(
      ErrorCode.DEVICE_LIST_INVALID,
      'A reset list is version 1 naming the registering device alone',
      { reason: 'reset list' },
    );
  }
}

export async function resetIdentity(
  deps: IdentityResetDeps,
  accountId: string,
  reg: DeviceRegistration,
  encodedList: Uint8Array,
): Promise<IdentityResetResponse> {
  await validateRegistration(accountId, reg);
  await checkResetList(accountId, reg, encodedList);
  const removed = await listDeviceIds(deps.db, accountId);
  for (const id of removed) {
    try {
      await deps.remove(id);
    } catch (e) {
      if (!(e instanceof ParleyError && e.code === ErrorCode.NOT_FOUND)) throw e;
    }
  }
  await forgetIdentityAndLists(deps.db, accountId);
  await deps.register();
  await deps.publish(encodedList);
  return { user: accountId, device: reg.device.id, removed };
}
