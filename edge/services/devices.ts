/**
 * The device directory: registration (every key and signature checked with
 * the shared validators before anything is stored), device lists, prekey
 * bundles (each one-time prekey and one-time ML-KEM prekey handed out at most
 * once), prekey uploads,
 * removal, handle lookup and block lists. Inputs and outputs are the wire
 * shapes of shared/wire/rest-devices.ts (bytes as Uint8Array).
 */
import type { Bytes } from '../../shared/bytes.ts';
import type { PublicIdentity } from '../../shared/crypto/identity.ts';
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import { BLOCK_LIST_MAX, MAX_DEVICES_PER_USER } from '../../shared/wire/limits.ts';
import type {
  DeviceInfo,
  DeviceListPublishedResponse,
  DeviceListResponse,
  DeviceRegistration,
  IdentityResetResponse,
  OwnDevicesResponse,
  PrekeyBundle,
  PrekeyBundlesResponse,
  PrekeyStatusResponse,
  PrekeyUpload,
  UserLookupResponse,
} from '../../shared/wire/rest-devices.ts';
import type { IdentityKey } from '../../shared/wire/rest-fields.ts';
import { type AccountRow, findAccountByHandle, findAccountById } from '../db/accounts.ts';
import { block, countBlocked, listBlocked, unblock } from '../db/blocks.ts';
import { deviceListChain, latestDeviceList } from '../db/device-lists.ts';
import {
  type DeviceRow,
  findDevice,
  listDevices,
  registerDevice,
  removeDevice,
  renameDevice,
  type SignedKey,
  takeOneTimeKemPrekey,
  takeOneTimePrekey,
  touchDevice,
} from '../db/devices.ts';
import type { Db } from '../db/open.ts';
import type { Fanout } from '../fanout/fanout.ts';
import type { RateLimiter } from '../limits/rate-limiter.ts';
import { resetIdentity } from './identity-reset.ts';
import { type PrekeyCounts, prekeyCounts, prekeyStatus, uploadPrekeys } from './prekey-stock.ts';
import { validateRegistration } from './registration-checks.ts';
import { SignedDeviceListService } from './signed-device-lists.ts';

export interface DeviceServiceDeps {
  readonly db: Db;
  readonly fanout: Fanout;
  /** Bundles handed out per requesting account (key = requester), cost = devices served. */
  readonly bundleLimiter: RateLimiter;
  /**
   * One-time prekeys handed out per target device, whoever asks (key =
   * "account/device"). Past it, bundles are still served, without a one-time
   * prekey: the session falls back to the signed and last-resort ML-KEM
   * prekeys, as when the stock is empty, instead of many requesters together
   * draining a victim's keys.
   */
  readonly prekeyBudget: RateLimiter;
  /**
   * A bundle went out without a one-time prekey (the target's budget was spent,
   * or its stock empty), or with the last-resort ML-KEM prekey because the
   * one-time ML-KEM stock was empty (`kem-empty`).
   */
  readonly onOneTimePrekeyMissing?: (reason: 'budget' | 'empty' | 'kem-empty') => void;
  readonly now: () => number;
  /** Called after a device was added to or removed from `accountId` (cached lists go stale). */
  readonly onDeviceListChanged?: (accountId: string) => void;
}

function bytes(value: Uint8Array | null): Bytes {
  return Uint8Array.from(value ?? new Uint8Array());
}

function notFound(what: 'user' | 'device'): ParleyError {
  return new ParleyError(ErrorCode.NOT_FOUND, what === 'user' ? 'No such user' : 'No such device', {
    what,
  });
}

function invalidField(field: string, message: string): ParleyError {
  return new ParleyError(ErrorCode.BAD_ARGUMENT, `Invalid ${field}: ${message}`, { field });
}

const toPublicIdentity = (k: IdentityKey): PublicIdentity => ({
  dh: k.dh,
  signing: k.sig,
  binding: k.binding,
});
interface TakenPrekeys {
  readonly opk: { readonly id: number; readonly publicKey: Uint8Array } | undefined;
  readonly kem: SignedKey | undefined;
}

/** One device's bundle: the one-time ML-KEM prekey taken for it, else the last-resort one. */
function bundleOf(row: DeviceRow, taken: TakenPrekeys): PrekeyBundle {
  const { opk, kem } = taken;
  return {
    ...deviceInfo(row, false),
    signedPreKey: {
      id: row.signedPrekeyId,
      publicKey: bytes(row.signedPrekey),
      signature: bytes(row.signedPrekeySig),
    },
    kemPreKey:
      kem === undefined
        ? {
            id: row.kemPrekeyId,
            publicKey: bytes(row.kemPrekey),
            signature: bytes(row.kemPrekeySig),
          }
        : {
            id: kem.id,
            publicKey: bytes(kem.publicKey),
            signature: bytes(kem.signature),
            oneTime: true,
          },
    ...(opk === undefined
      ? {}
      : { oneTimePreKey: { id: opk.id, publicKey: bytes(opk.publicKey) } }),
  };
}

function identityOf(account: AccountRow): IdentityKey | undefined {
  if (account.identityDh === null) return undefined;
  return {
    dh: bytes(account.identityDh),
    sig: bytes(account.identitySig),
    binding: bytes(account.identityBinding),
  };
}

/** Name and last connection are the account's own business: only its devices see them. */
function deviceInfo(row: DeviceRow, own: boolean): DeviceInfo {
  return {
    id: row.deviceId,
    key: bytes(row.deviceKey),
    certificate: bytes(row.certificate),
    createdAt: row.certificateCreatedAt,
    ...(own && row.name !== null ? { name: row.name } : {}),
    ...(own && row.lastSeenAt !== null ? { lastSeenAt: row.lastSeenAt } : {}),
  };
}

/** The kept signed device lists as a response member (absent when there are none). */
async function signedLists(db: Db, userId: string): Promise<{ deviceLists?: Bytes[] }> {
  const rows = await deviceListChain(db, userId);
  return rows.length === 0 ? {} : { deviceLists: rows.map((r) => bytes(r.list)) };
}

export class DeviceService {
  readonly #d: DeviceServiceDeps;
  readonly #lists: SignedDeviceListService;

  constructor(deps: DeviceServiceDeps) {
    this.#d = deps;
    this.#lists = new SignedDeviceListService({
      db: deps.db,
      now: deps.now,
      removeDevice: async (accountId, deviceId) => {
        try {
          await this.remove(accountId, deviceId);
        } catch (e) {
          if (!(e instanceof ParleyError && e.code === ErrorCode.NOT_FOUND)) throw e;
        }
      },
      ...(deps.onDeviceListChanged === undefined
        ? {}
        : { onDeviceListChanged: deps.onDeviceListChanged }),
    });
  }

  /** The next signed device list version (signed-device-lists.ts); revokes the devices it drops. */
  publishDeviceList(accountId: string, list: Uint8Array): Promise<DeviceListPublishedResponse> {
    return this.#lists.publish(accountId, list);
  }

  /**
   * "Remove and reset identity" (identity-reset.ts): every device revoked,
   * then this one registered under the new identity with list v1.
   */
  resetIdentity(
    accountId: string,
    reg: DeviceRegistration,
    list: Uint8Array,
  ): Promise<IdentityResetResponse> {
    return resetIdentity(
      {
        db: this.#d.db,
        remove: (id) => this.remove(accountId, id),
        register: () => this.register(accountId, reg),
        publish: (encoded) => this.#lists.publish(accountId, encoded),
      },
      accountId,
      reg,
      list,
    );
  }

  /** Validates everything first; stores nothing unless all of it is valid. */
  async register(
    accountId: string,
    reg: DeviceRegistration,
  ): Promise<{ user: string; device: number }> {
    const identity = toPublicIdentity(reg.identity);
    await validateRegistration(accountId, reg);
    const outcome = await registerDevice(
      this.#d.db,
      accountId,
      identity,
      {
        deviceId: reg.device.id,
        deviceKey: reg.device.key,
        certificate: reg.device.certificate,
        certificateCreatedAt: reg.device.createdAt,
        signedPrekey: reg.signedPreKey,
        kemPrekey: reg.kemPreKey,
        oneTimePrekeys: reg.oneTimePreKeys,
        name: reg.device.name,
      },
      MAX_DEVICES_PER_USER,
      this.#d.now(),
    );
    if (!outcome.ok) {
      switch (outcome.reason) {
        case 'identity-mismatch':
          throw new ParleyError(
            ErrorCode.IDENTITY_MISMATCH,
            'The account already has a different identity key',
          );
        case 'device-exists':
        case 'device-removed':
        case 'device-key-taken':
          throw new ParleyError(ErrorCode.DEVICE_EXISTS, 'Device id or device key already used', {
            reason: outcome.reason,
          });
        case 'too-many-devices':
          throw new ParleyError(
            ErrorCode.DEVICE_LIMIT,
            `At most ${MAX_DEVICES_PER_USER} devices per account`,
          );
        case 'no-account':
          throw notFound('user');
      }
    }
    this.#d.onDeviceListChanged?.(accountId);
    return { user: accountId, device: reg.device.id };
  }

  async #accountWithIdentity(
    userId: string,
  ): Promise<{ account: AccountRow; identity: IdentityKey }> {
    const account = await findAccountById(this.#d.db, userId);
    const identity = account === undefined ? undefined : identityOf(account);
    if (account === undefined || identity === undefined) throw notFound('user');
    return { account, identity };
  }

  /** A user's identity and active devices; names only for the user's own account. */
  async deviceList(userId: string, requesterAccount: string): Promise<DeviceListResponse> {
    const { identity } = await this.#accountWithIdentity(userId);
    const rows = await listDevices(this.#d.db, userId);
    return {
      user: userId,
      identity,
      ...(await signedLists(this.#d.db, userId)),
      devices: rows.map((r) => deviceInfo(r, requesterAccount === userId)),
    };
  }

  /**
   * The account's own registered devices for a passkey session (a restore
   * asks whether another device is still alive; docs/wire.md, "Own
   * devices"): ids, when added, names and last connections, nothing more.
   */
  async ownDevices(accountId: string): Promise<OwnDevicesResponse> {
    const rows = await listDevices(this.#d.db, accountId);
    return {
      devices: rows.map((row) => ({
        id: row.deviceId,
        addedAt: row.createdAt,
        ...(row.name === null ? {} : { name: row.name }),
        ...(row.lastSeenAt === null ? {} : { lastSeenAt: row.lastSeenAt }),
      })),
    };
  }

  async lookupHandle(handle: string): Promise<UserLookupResponse> {
    const account = await findAccountByHandle(this.#d.db, handle);
    if (account === undefined) throw notFound('user');
    return { user: account.id, handle: account.handle };
  }

  /**
   * Prekey bundles for `userId`'s devices (all, or one). Each bundle consumes
   * one one-time prekey when any is left. The requester's budget is charged per
   * device before any key is taken.
   */
  async bundles(
    requester: string,
    userId: string,
    deviceId?: number,
  ): Promise<PrekeyBundlesResponse> {
    const { identity } = await this.#accountWithIdentity(userId);
    const rows = await listDevices(this.#d.db, userId);
    const wanted = deviceId === undefined ? rows : rows.filter((r) => r.deviceId === deviceId);
    if (wanted.length === 0) throw notFound('device');
    const decision = await this.#d.bundleLimiter.consume(requester, wanted.length);
    if (!decision.allowed) {
      throw new ParleyError(ErrorCode.RATE_LIMITED, 'Too many prekey bundle requests', {
        retryAfterSeconds: decision.retryAfterSeconds,
      });
    }
    const devices: PrekeyBundle[] = [];
    for (const row of wanted) {
      devices.push(bundleOf(row, await this.#takeOneTimePrekeys(userId, row.deviceId)));
    }
    return { user: userId, identity, ...(await signedLists(this.#d.db, userId)), devices };
  }

  /**
   * One charge of the target's budget covers both one-time kinds: past it the
   * bundle carries neither, and the session uses the signed and last-resort
   * ML-KEM prekeys.
   */
  async #takeOneTimePrekeys(userId: string, deviceId: number): Promise<TakenPrekeys> {
    const pending = this.#d.prekeyBudget.consume(`${userId}/${deviceId}`);
    const budget = pending instanceof Promise ? await pending : pending;
    if (!budget.allowed) {
      this.#d.onOneTimePrekeyMissing?.('budget');
      return { opk: undefined, kem: undefined };
    }
    const [opk, kem] = await Promise.all([
      takeOneTimePrekey(this.#d.db, userId, deviceId),
      takeOneTimeKemPrekey(this.#d.db, userId, deviceId),
    ]);
    if (opk === undefined) this.#d.onOneTimePrekeyMissing?.('empty');
    if (kem === undefined) this.#d.onOneTimePrekeyMissing?.('kem-empty');
    return { opk, kem };
  }

  prekeyStatus(accountId: string, deviceId: number): Promise<PrekeyStatusResponse> {
    return prekeyStatus(this.#d.db, accountId, deviceId);
  }

  /** One-time prekeys of both kinds still held for a device (the `ready` frame reports them). */
  prekeyCounts(accountId: string, deviceId: number): Promise<PrekeyCounts> {
    return prekeyCounts(this.#d.db, accountId, deviceId);
  }

  /** Rotates and adds prekeys, validated against the account identity (prekey-stock.ts). */
  async uploadPrekeys(
    accountId: string,
    deviceId: number,
    upload: PrekeyUpload,
  ): Promise<PrekeyStatusResponse> {
    const { identity } = await this.#accountWithIdentity(accountId);
    return uploadPrekeys(this.#d.db, accountId, deviceId, identity.sig, upload);
  }

  /**
   * The plain removal (`DELETE /v1/devices/:device`), for devices the signed
   * list does not name (registered but never listed, or an account without a
   * list). A listed device leaves only through list v+1 without it: were this
   * allowed, the relay's directory and the list peers hold would disagree,
   * and the remaining devices would keep signing the removed one into later
   * versions (docs/wire.md, "Devices").
   */
  async removeUnlisted(accountId: string, deviceId: number): Promise<void> {
    const latest = await latestDeviceList(this.#d.db, accountId);
    if (latest?.deviceIds.includes(deviceId)) {
      throw new ParleyError(
        ErrorCode.DEVICE_LISTED,
        'The device is in the signed device list: publish the next version without it',
        { device: deviceId, version: latest.version },
      );
    }
    await this.remove(accountId, deviceId);
  }

  async rename(accountId: string, deviceId: number, name: string): Promise<void> {
    if (!(await renameDevice(this.#d.db, accountId, deviceId, name))) throw notFound('device');
  }

  async remove(accountId: string, deviceId: number): Promise<void> {
    if (!(await removeDevice(this.#d.db, accountId, deviceId, this.#d.now())))
      throw notFound('device');
    this.#d.onDeviceListChanged?.(accountId);
    await this.#d.fanout.signal({ accountId, deviceId }, { type: 'revoked' });
  }

  /** Records the device as seen; false when it no longer exists. */
  touch(accountId: string, deviceId: number): Promise<boolean> {
    return touchDevice(this.#d.db, accountId, deviceId, this.#d.now());
  }

  /** The registered device key, for socket and request authentication. */
  async deviceKey(accountId: string, deviceId: number): Promise<Bytes | undefined> {
    const row = await findDevice(this.#d.db, accountId, deviceId);
    return row === undefined ? undefined : bytes(row.deviceKey);
  }

  /**
   * The account's identity signing key, for management requests made on
   * behalf of one of its registered devices; undefined when that device is
   * not registered.
   */
  async managementKey(accountId: string, deviceId: number): Promise<Bytes | undefined> {
    if ((await findDevice(this.#d.db, accountId, deviceId)) === undefined) return undefined;
    const account = await findAccountById(this.#d.db, accountId);
    const identity = account === undefined ? undefined : identityOf(account);
    return identity?.sig;
  }

  async blockList(accountId: string): Promise<{ users: string[] }> {
    return { users: await listBlocked(this.#d.db, accountId) };
  }

  async block(accountId: string, userId: string): Promise<void> {
    if (userId === accountId) throw invalidField('user', 'cannot block yourself');
    if ((await findAccountById(this.#d.db, userId)) === undefined) throw notFound('user');
    if ((await countBlocked(this.#d.db, accountId)) >= BLOCK_LIST_MAX) {
      throw invalidField('user', `at most ${BLOCK_LIST_MAX} blocked users`);
    }
    await block(this.#d.db, accountId, userId, this.#d.now());
  }

  async unblock(accountId: string, userId: string): Promise<void> {
    await unblock(this.#d.db, accountId, userId);
  }
}

export type { PrekeyCounts } from './prekey-stock.ts';
