/**
 * The relay's side of the signed device list (docs/relay.md, "Device lists";
 * docs/protocol.md, "Device list"). The relay stores and serves each
 * account's lists and refuses what it can check: the identity signature and
 * device bindings (against the identity it holds), a version that is not the
 * held one plus one, a prevHash that does not chain, more devices than the
 * cap, and devices it has not registered (with that key). A device the new
 * version leaves out is removed at once: socket closed, queue and prekeys
 * deleted, its id never accepted again. Peers trust none of this: they check
 * the lists themselves.
 */
import { equalBytes } from '../../shared/bytes.ts';
import { type SignedDeviceList, verifyDeviceList } from '../../shared/crypto/device-list.ts';
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import { DEVICE_LIST_CHAIN_KEPT } from '../../shared/wire/limits.ts';
import type { DeviceListPublishedResponse } from '../../shared/wire/rest-devices.ts';
import { findAccountById } from '../db/accounts.ts';
import {
  appendDeviceList,
  deviceListChain,
  latestDeviceList,
  type StoredDeviceList,
} from '../db/device-lists.ts';
import { listDevices } from '../db/devices.ts';
import type { Db } from '../db/open.ts';

export interface SignedDeviceListDeps {
  readonly db: Db;
  readonly now: () => number;
  /** Removes and revokes a device (DeviceService.remove); a device already gone is fine. */
  readonly removeDevice: (accountId: string, deviceId: number) => Promise<void>;
  /** The routed device set changed (cached lists go stale). */
  readonly onDeviceListChanged?: (accountId: string) => void;
}

function refused(code: ErrorCode, message: string, details: Record<string, string | number>) {
  return new ParleyError(code, message, details);
}

export class SignedDeviceListService {
  readonly #d: SignedDeviceListDeps;

  constructor(deps: SignedDeviceListDeps) {
    this.#d = deps;
  }

  /** The kept lists, oldest first; undefined when the account has published none. */
  async chain(accountId: string): Promise<Uint8Array[] | undefined> {
    const rows = await deviceListChain(this.#d.db, accountId);
    return rows.length === 0 ? undefined : rows.map((r) => r.list);
  }

  async #verify(accountId: string, encoded: Uint8Array): Promise<SignedDeviceList> {
    const account = await findAccountById(this.#d.db, accountId);
    if (account?.identitySig == null)
      throw new ParleyError(ErrorCode.NOT_FOUND, 'No such user', { what: 'user' });
    return verifyDeviceList(encoded, {
      userId: accountId,
      identityKey: Uint8Array.from(account.identitySig),
    });
  }

  /** Version = held + 1 (1 on an account with none) and prevHash = hash(held). */
  #checkFollows(held: StoredDeviceList | undefined, list: SignedDeviceList): void {
    const heldVersion = held?.version ?? 0;
    if (list.version <= heldVersion) {
      throw refused(ErrorCode.DEVICE_LIST_ROLLBACK, 'Device list version is not newer', {
        held: heldVersion,
        offered: list.version,
      });
    }
    if (
      list.version !== heldVersion + 1 ||
      (held !== undefined && !equalBytes(list.prevHash, held.hash))
    ) {
      throw refused(
        ErrorCode.DEVICE_LIST_CHAIN_BROKEN,
        'Device list does not follow the held one',
        {
          held: heldVersion,
          offered: list.version,
        },
      );
    }
  }

  /** Every listed device must be registered here with the key the list names. */
  async #checkRegistered(accountId: string, list: SignedDeviceList): Promise<void> {
    const rows = await listDevices(this.#d.db, accountId);
    for (const d of list.devices) {
      const row = rows.find((r) => r.deviceId === d.deviceId);
      if (row === undefined || !equalBytes(row.deviceKey, d.deviceKey)) {
        throw refused(ErrorCode.DEVICE_LIST_INVALID, 'Device list names an unregistered device', {
          reason: 'unregistered device',
          device: d.deviceId,
        });
      }
    }
  }

  /**
   * Stores the next version and revokes the devices it drops (those of the
   * held version that it no longer lists). Devices registered but never
   * listed (accounts from before signed lists) are left alone: each adds
   * itself when it next connects.
   */
  async publish(accountId: string, encoded: Uint8Array): Promise<DeviceListPublishedResponse> {
    const list = await this.#verify(accountId, encoded);
    const held = await latestDeviceList(this.#d.db, accountId);
    this.#checkFollows(held, list);
    await this.#checkRegistered(accountId, list);
    const deviceIds = list.devices.map((d) => d.deviceId);
    const stored = await appendDeviceList(
      this.#d.db,
      accountId,
      { version: list.version, list: list.encoded, hash: list.hash, deviceIds },
      DEVICE_LIST_CHAIN_KEPT,
      this.#d.now(),
    );
    if (!stored) {
      // Another device published this version first.
      throw refused(ErrorCode.DEVICE_LIST_ROLLBACK, 'Device list version is not newer', {
        held: list.version,
        offered: list.version,
      });
    }
    const removed = (held?.deviceIds ?? []).filter((id) => !deviceIds.includes(id));
    for (const id of removed) await this.#d.removeDevice(accountId, id);
    this.#d.onDeviceListChanged?.(accountId);
    return { version: list.version, removed };
  }
}
