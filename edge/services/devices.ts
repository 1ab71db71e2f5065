/**
 * The device directory: registration (every key and signature checked with
 * the shared validators before anything is stored), device lists, prekey
 * bundles (each one-time prekey handed out at most once), refill, signed
 * prekey rotation and removal.
 */
import { type Bytes, equalBytes } from '../../shared/bytes.ts';
import {
  type DeviceCertificate,
  type KemPreKeyPublic,
  type OneTimePreKeyPublic,
  PreKeyKind,
  type PublicIdentity,
  type SignedPreKeyPublic,
  validateDeviceCertificate,
  validateKemPreKey,
  validateOneTimePreKey,
  validatePublicIdentity,
  validateSignedPreKey,
} from '../../shared/crypto/keys.ts';
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import {
  DEVICE_ID_MAX,
  DEVICE_ID_MIN,
  MAX_DEVICES_PER_USER,
  ONE_TIME_PREKEYS_MAX_STORED,
  ONE_TIME_PREKEYS_MAX_UPLOAD,
} from '../../shared/wire/limits.ts';
import { findAccountByHandle, findAccountById } from '../db/accounts.ts';
import {
  addOneTimePrekeys,
  countOneTimePrekeys,
  type DeviceRow,
  findDevice,
  listDevices,
  registerDevice,
  removeDevice,
  replaceSignedPrekey,
  takeOneTimePrekey,
  touchDevice,
} from '../db/devices.ts';
import type { Db } from '../db/open.ts';
import type { Fanout } from '../fanout/fanout.ts';
import { RelayCode } from '../http/codes.ts';
import type { RateLimiter } from '../limits/rate-limiter.ts';

export interface DeviceRegistration {
  readonly identity: PublicIdentity;
  readonly certificate: DeviceCertificate;
  readonly signedPreKey: SignedPreKeyPublic;
  readonly kemPreKey: KemPreKeyPublic;
  readonly oneTimePreKeys: readonly OneTimePreKeyPublic[];
}

export interface PublicDevice {
  readonly deviceId: number;
  readonly certificate: DeviceCertificate;
  readonly lastSeenAt: number | null;
}

export interface UserDirectoryEntry {
  readonly userId: string;
  readonly handle: string;
  readonly identity: PublicIdentity | undefined;
  readonly devices: readonly PublicDevice[];
}

export interface DeviceBundle {
  readonly deviceId: number;
  readonly certificate: DeviceCertificate;
  readonly signedPreKey: SignedPreKeyPublic;
  readonly kemPreKey: KemPreKeyPublic;
  readonly oneTimePreKey: OneTimePreKeyPublic | undefined;
}

export interface BundleSet {
  readonly userId: string;
  readonly identity: PublicIdentity;
  readonly bundles: readonly DeviceBundle[];
}

export interface DeviceServiceDeps {
  readonly db: Db;
  readonly fanout: Fanout;
  /** Bundles handed out per requesting device (key = requester), cost = devices served. */
  readonly bundleLimiter: RateLimiter;
  readonly now: () => number;
}

function bytes(value: Uint8Array | null): Bytes {
  return Uint8Array.from(value ?? new Uint8Array());
}

function certificateOf(userId: string, row: DeviceRow): DeviceCertificate {
  return {
    userId,
    deviceId: row.deviceId,
    deviceKey: bytes(row.deviceKey),
    createdAt: row.certificateCreatedAt,
    signature: bytes(row.certificate),
  };
}

function invalidField(code: string, field: string, message: string): ParleyError {
  return new ParleyError(code, `Invalid ${field}: ${message}`, { field });
}

export class DeviceService {
  readonly #d: DeviceServiceDeps;

  constructor(deps: DeviceServiceDeps) {
    this.#d = deps;
  }

  /** Validates everything first; stores nothing unless all of it is valid. */
  async register(
    accountId: string,
    reg: DeviceRegistration,
  ): Promise<{ deviceId: number; oneTimePreKeys: number }> {
    const { identity, certificate } = reg;
    if (certificate.userId !== accountId) {
      throw invalidField(
        ErrorCode.BAD_ARGUMENT,
        'deviceCertificate.userId',
        'does not name this account',
      );
    }
    const { deviceId } = certificate;
    if (!Number.isInteger(deviceId) || deviceId < DEVICE_ID_MIN || deviceId > DEVICE_ID_MAX) {
      throw invalidField(
        ErrorCode.BAD_ARGUMENT,
        'deviceCertificate.deviceId',
        `must be ${DEVICE_ID_MIN}..${DEVICE_ID_MAX}`,
      );
    }
    if (reg.oneTimePreKeys.length > ONE_TIME_PREKEYS_MAX_UPLOAD) {
      throw invalidField(
        ErrorCode.BAD_ARGUMENT,
        'oneTimePreKeys',
        `at most ${ONE_TIME_PREKEYS_MAX_UPLOAD} per upload`,
      );
    }
    await validatePublicIdentity(identity);
    await validateDeviceCertificate(identity.signing, certificate);
    await validateSignedPreKey(identity.signing, reg.signedPreKey);
    await validateKemPreKey(identity.signing, reg.kemPreKey);
    this.#checkOneTimePreKeys(reg.oneTimePreKeys);
    const outcome = await registerDevice(
      this.#d.db,
      accountId,
      identity,
      {
        deviceId,
        deviceKey: certificate.deviceKey,
        certificate: certificate.signature,
        certificateCreatedAt: certificate.createdAt,
        signedPrekey: reg.signedPreKey,
        kemPrekey: reg.kemPreKey,
        oneTimePrekeys: reg.oneTimePreKeys,
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
          throw new ParleyError(RelayCode.USER_NOT_FOUND, 'Account not found');
      }
    }
    return { deviceId, oneTimePreKeys: reg.oneTimePreKeys.length };
  }

  #checkOneTimePreKeys(keys: readonly OneTimePreKeyPublic[]): void {
    const seen = new Set<number>();
    keys.forEach((key, i) => {
      validateOneTimePreKey(key, `oneTimePreKeys[${i}]`);
      if (seen.has(key.id))
        throw invalidField(ErrorCode.BAD_ARGUMENT, `oneTimePreKeys[${i}].id`, 'duplicate id');
      seen.add(key.id);
    });
  }

  async directory(userId: string): Promise<UserDirectoryEntry> {
    const account = await findAccountById(this.#d.db, userId);
    if (account === undefined) throw new ParleyError(RelayCode.USER_NOT_FOUND, 'No such user');
    const rows = await listDevices(this.#d.db, userId);
    return {
      userId,
      handle: account.handle,
      identity:
        account.identityDh === null
          ? undefined
          : {
              dh: bytes(account.identityDh),
              signing: bytes(account.identitySig),
              binding: bytes(account.identityBinding),
            },
      devices: rows.map((row) => ({
        deviceId: row.deviceId,
        certificate: certificateOf(userId, row),
        lastSeenAt: row.lastSeenAt,
      })),
    };
  }

  async lookupHandle(handle: string): Promise<{ userId: string; handle: string }> {
    const account = await findAccountByHandle(this.#d.db, handle);
    if (account === undefined) throw new ParleyError(RelayCode.USER_NOT_FOUND, 'No such user');
    return { userId: account.id, handle: account.handle };
  }

  /**
   * Prekey bundles for `userId`'s devices (all, or the listed ones). Each
   * bundle consumes one one-time prekey when any is left. The requester's
   * budget is charged per device before any key is taken.
   */
  async bundles(
    requester: string,
    userId: string,
    deviceIds: readonly number[] | undefined,
  ): Promise<BundleSet> {
    const entry = await this.directory(userId);
    if (entry.identity === undefined)
      throw new ParleyError(RelayCode.USER_NOT_FOUND, 'User has no devices');
    const rows = await listDevices(this.#d.db, userId);
    const wanted =
      deviceIds === undefined ? rows : rows.filter((r) => deviceIds.includes(r.deviceId));
    if (deviceIds !== undefined && wanted.length !== new Set(deviceIds).size) {
      throw new ParleyError(RelayCode.DEVICE_NOT_FOUND, 'Unknown device id');
    }
    const decision = await this.#d.bundleLimiter.consume(requester, Math.max(1, wanted.length));
    if (!decision.allowed) {
      throw new ParleyError(ErrorCode.RATE_LIMITED, 'Too many prekey bundle requests', {
        retryAfterSeconds: decision.retryAfterSeconds,
      });
    }
    const bundles: DeviceBundle[] = [];
    for (const row of wanted) {
      const opk = await takeOneTimePrekey(this.#d.db, userId, row.deviceId);
      bundles.push({
        deviceId: row.deviceId,
        certificate: certificateOf(userId, row),
        signedPreKey: {
          kind: PreKeyKind.SIGNED,
          id: row.signedPrekeyId,
          publicKey: bytes(row.signedPrekey),
          signature: bytes(row.signedPrekeySig),
        },
        kemPreKey: {
          kind: PreKeyKind.KEM,
          id: row.kemPrekeyId,
          publicKey: bytes(row.kemPrekey),
          signature: bytes(row.kemPrekeySig),
        },
        oneTimePreKey:
          opk === undefined
            ? undefined
            : { kind: PreKeyKind.ONE_TIME, id: opk.id, publicKey: bytes(opk.publicKey) },
      });
    }
    return { userId, identity: entry.identity, bundles };
  }

  async prekeyCount(accountId: string, deviceId: number): Promise<number> {
    return countOneTimePrekeys(this.#d.db, accountId, deviceId);
  }

  async refill(
    accountId: string,
    deviceId: number,
    keys: readonly OneTimePreKeyPublic[],
  ): Promise<{ added: number; count: number }> {
    if (keys.length > ONE_TIME_PREKEYS_MAX_UPLOAD) {
      throw invalidField(
        ErrorCode.BAD_ARGUMENT,
        'oneTimePreKeys',
        `at most ${ONE_TIME_PREKEYS_MAX_UPLOAD} per upload`,
      );
    }
    this.#checkOneTimePreKeys(keys);
    const current = await countOneTimePrekeys(this.#d.db, accountId, deviceId);
    if (current + keys.length > ONE_TIME_PREKEYS_MAX_STORED) {
      throw new ParleyError(
        RelayCode.PREKEY_LIMIT,
        `At most ${ONE_TIME_PREKEYS_MAX_STORED} one-time prekeys per device`,
        {
          stored: current,
        },
      );
    }
    const added = await addOneTimePrekeys(this.#d.db, accountId, deviceId, keys);
    return { added, count: current + added };
  }

  /** Replaces the signed prekey and/or the KEM prekey, checked against the account identity. */
  async rotate(
    accountId: string,
    deviceId: number,
    signedPreKey: SignedPreKeyPublic | undefined,
    kemPreKey: KemPreKeyPublic | undefined,
  ): Promise<void> {
    const account = await findAccountById(this.#d.db, accountId);
    if (account?.identitySig === null || account === undefined) {
      throw new ParleyError(RelayCode.USER_NOT_FOUND, 'Account has no identity');
    }
    const signer = bytes(account.identitySig);
    if (signedPreKey !== undefined) await validateSignedPreKey(signer, signedPreKey);
    if (kemPreKey !== undefined) await validateKemPreKey(signer, kemPreKey);
    if (!(await replaceSignedPrekey(this.#d.db, accountId, deviceId, signedPreKey, kemPreKey))) {
      throw new ParleyError(RelayCode.DEVICE_NOT_FOUND, 'No such device');
    }
  }

  async remove(accountId: string, deviceId: number): Promise<void> {
    if (!(await removeDevice(this.#d.db, accountId, deviceId, this.#d.now()))) {
      throw new ParleyError(RelayCode.DEVICE_NOT_FOUND, 'No such device');
    }
    await this.#d.fanout.signal({ accountId, deviceId }, { type: 'revoked' });
  }

  touch(accountId: string, deviceId: number): Promise<void> {
    return touchDevice(this.#d.db, accountId, deviceId, this.#d.now());
  }

  /** The registered device key, for socket and request authentication. */
  async deviceKey(accountId: string, deviceId: number): Promise<Bytes | undefined> {
    const row = await findDevice(this.#d.db, accountId, deviceId);
    return row === undefined ? undefined : bytes(row.deviceKey);
  }
}

export function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  return equalBytes(a, b);
}
