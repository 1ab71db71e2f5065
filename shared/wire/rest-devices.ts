/**
 * Device directory bodies: registering a device with its keys, prekey
 * refills and rotation, device lists, prekey bundles, handle lookup and the
 * block list. Key bytes are validated for exact length here; the relay then
 * runs the shared crypto validators (low-order points, ML-KEM encapsulation
 * key check, signatures) before storing anything.
 */
import * as v from 'valibot';
import {
  DeviceIdSchema,
  DeviceNameSchema,
  HandleSchema,
  TimestampSchema,
  Uint32Schema,
  UserIdSchema,
  uniqueBy,
} from './fields.ts';
import {
  BLOCK_LIST_MAX,
  DEVICE_LIST_CHAIN_KEPT,
  DEVICE_LIST_MAX_BYTES,
  MAX_DEVICES_PER_USER,
  ONE_TIME_KEM_PREKEYS_MAX_UPLOAD,
  ONE_TIME_PREKEYS_MAX_UPLOAD,
} from './limits.ts';
import {
  BundleKemPreKeySchema,
  b64BytesRange,
  Ed25519KeySchema,
  IdentityKeySchema,
  type KemPreKey,
  KemPreKeySchema,
  type OneTimePreKey,
  OneTimePreKeySchema,
  SignatureSchema,
  SignedPreKeySchema,
} from './rest-fields.ts';

const oneTimePreKeys = v.pipe(
  v.array(OneTimePreKeySchema),
  v.maxLength(ONE_TIME_PREKEYS_MAX_UPLOAD),
  uniqueBy((k: OneTimePreKey) => k.id),
);

/** One-time ML-KEM prekeys: the same shape as the last-resort one, signed under their own context. */
const oneTimeKemPreKeys = v.pipe(
  v.array(KemPreKeySchema),
  v.minLength(1),
  v.maxLength(ONE_TIME_KEM_PREKEYS_MAX_UPLOAD),
  uniqueBy((k: KemPreKey) => k.id),
);

/**
 * A device as the directory lists it. `certificate` is the identity key's
 * signature over (user, u32 id, key, u64 createdAt) with DEVICE_CERTIFICATE.
 */
export const DeviceInfoSchema = v.strictObject({
  id: DeviceIdSchema,
  key: Ed25519KeySchema,
  certificate: SignatureSchema,
  createdAt: TimestampSchema,
  /** Shown only to the device's own account. */
  name: v.exactOptional(DeviceNameSchema),
  /** When the device last connected; shown only to its own account. */
  lastSeenAt: v.exactOptional(TimestampSchema),
});

/**
 * POST /v1/devices (Bearer session token). The device id is chosen by the
 * client (random in 1..2^31-1) because the certificate signs it; the relay
 * answers DEVICE_EXISTS if the account has or had that id. The first device
 * fixes the account's identity; later ones must present the same identity.
 */
export const DeviceRegistrationSchema = v.strictObject({
  identity: IdentityKeySchema,
  device: DeviceInfoSchema,
  signedPreKey: SignedPreKeySchema,
  kemPreKey: KemPreKeySchema,
  oneTimePreKeys,
});

export const DeviceRegisteredResponseSchema = v.strictObject({
  user: UserIdSchema,
  device: DeviceIdSchema,
});

/**
 * PUT /v1/prekeys (device-signed): any of a rotated signed prekey, a rotated
 * last-resort ML-KEM prekey, more one-time prekeys (added to what the relay
 * holds, up to ONE_TIME_PREKEYS_MAX_STORED) and more one-time ML-KEM prekeys
 * (up to ONE_TIME_KEM_PREKEYS_MAX_STORED). At least one member must be present.
 */
export const PrekeyUploadSchema = v.pipe(
  v.strictObject({
    signedPreKey: v.exactOptional(SignedPreKeySchema),
    kemPreKey: v.exactOptional(KemPreKeySchema),
    oneTimePreKeys: v.exactOptional(v.pipe(oneTimePreKeys, v.minLength(1))),
    oneTimeKemPreKeys: v.exactOptional(oneTimeKemPreKeys),
  }),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const body = dataset.value;
    if (
      body.signedPreKey === undefined &&
      body.kemPreKey === undefined &&
      body.oneTimePreKeys === undefined &&
      body.oneTimeKemPreKeys === undefined
    ) {
      addIssue({ message: 'nothing to upload', expected: 'empty' });
    }
  }),
);

/** GET and PUT /v1/prekeys: what the relay holds for the calling device. */
export const PrekeyStatusResponseSchema = v.strictObject({
  oneTimePreKeys: Uint32Schema,
  signedPreKeyId: Uint32Schema,
  kemPreKeyId: Uint32Schema,
  /** One-time ML-KEM prekeys held; absent from relays that do not store them (upload none). */
  oneTimeKemPreKeys: v.exactOptional(Uint32Schema),
});

/** One signed device list, its exact encoding (shared/crypto/device-list.ts). */
export const SignedDeviceListSchema = b64BytesRange(1, DEVICE_LIST_MAX_BYTES);

/**
 * The account's signed device lists the relay keeps, oldest first, newest
 * last (docs/protocol.md, "Device list"). Absent for an account that has not
 * published one yet. Peers verify every one and trust none on the relay's word.
 */
const signedDeviceLists = v.exactOptional(
  v.pipe(v.array(SignedDeviceListSchema), v.minLength(1), v.maxLength(DEVICE_LIST_CHAIN_KEPT)),
);

/** PUT /v1/device-name (device-signed): the calling device's own name, shown to its account only. */
export const DeviceRenameSchema = v.strictObject({ name: DeviceNameSchema });

/**
 * PUT /v1/device-list (identity-signed): the next version of the account's
 * signed device list. Devices left out are removed (revoked at once).
 */
export const DeviceListPublishSchema = v.strictObject({
  list: SignedDeviceListSchema,
});

/**
 * POST /v1/identity/reset (session token from a fresh passkey login): the
 * account's new identity, this device registered under it, and version 1 of
 * the new device list naming this device alone (docs/protocol.md, "Resetting
 * the identity"). Every other device is revoked.
 */
export const IdentityResetSchema = v.strictObject({
  registration: DeviceRegistrationSchema,
  list: SignedDeviceListSchema,
});

export const IdentityResetResponseSchema = v.strictObject({
  user: UserIdSchema,
  device: DeviceIdSchema,
  /** The devices the reset revoked. */
  removed: v.pipe(v.array(DeviceIdSchema), v.maxLength(MAX_DEVICES_PER_USER)),
});

export const DeviceListPublishedResponseSchema = v.strictObject({
  version: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
  /** Devices this version removed (the relay revoked them). */
  removed: v.pipe(v.array(DeviceIdSchema), v.maxLength(MAX_DEVICES_PER_USER)),
});

/** GET /v1/users/:user/devices: the account's identity and active devices. */
export const DeviceListResponseSchema = v.strictObject({
  user: UserIdSchema,
  identity: IdentityKeySchema,
  deviceLists: signedDeviceLists,
  devices: v.pipe(
    v.array(DeviceInfoSchema),
    v.maxLength(MAX_DEVICES_PER_USER),
    uniqueBy((d: v.InferOutput<typeof DeviceInfoSchema>) => d.id),
  ),
});

/**
 * One device of the caller's own account as GET /v1/devices (passkey session)
 * lists it for a restore: no keys, only what tells a live device from a lost
 * one (docs/wire.md, "Own devices").
 */
export const OwnDeviceSchema = v.strictObject({
  id: DeviceIdSchema,
  /** When the relay registered it. */
  addedAt: TimestampSchema,
  /** The label its own account gave it, when the relay has one. */
  name: v.exactOptional(DeviceNameSchema),
  /** When it last opened a connection to the relay; absent if it never did. */
  lastSeenAt: v.exactOptional(TimestampSchema),
});

export const OwnDevicesResponseSchema = v.strictObject({
  devices: v.pipe(
    v.array(OwnDeviceSchema),
    v.maxLength(MAX_DEVICES_PER_USER),
    uniqueBy((d: v.InferOutput<typeof OwnDeviceSchema>) => d.id),
  ),
});

/** One device's prekey bundle, with its certificate so the initiator can check it belongs to the identity. */
export const PrekeyBundleSchema = v.strictObject({
  id: DeviceIdSchema,
  key: Ed25519KeySchema,
  certificate: SignatureSchema,
  createdAt: TimestampSchema,
  signedPreKey: SignedPreKeySchema,
  /** A one-time ML-KEM prekey (`oneTime: true`) while the device has any, else the last-resort one. */
  kemPreKey: BundleKemPreKeySchema,
  /** Absent when the device has run out: X3DH/PQXDH then runs without DH4. */
  oneTimePreKey: v.exactOptional(OneTimePreKeySchema),
});

/**
 * GET /v1/users/:user/bundles (every device) or /v1/users/:user/bundles/:device
 * (device-signed). Each one-time prekey and one-time ML-KEM prekey returned is
 * deleted by the relay.
 */
export const PrekeyBundlesResponseSchema = v.strictObject({
  user: UserIdSchema,
  identity: IdentityKeySchema,
  deviceLists: signedDeviceLists,
  devices: v.pipe(
    v.array(PrekeyBundleSchema),
    v.minLength(1),
    v.maxLength(MAX_DEVICES_PER_USER),
    uniqueBy((d: v.InferOutput<typeof PrekeyBundleSchema>) => d.id),
  ),
});

/** GET /v1/handles/:handle. */
export const UserLookupResponseSchema = v.strictObject({
  user: UserIdSchema,
  handle: HandleSchema,
});

/** GET /v1/blocks: users whose messages the relay drops for this account (docs/relay.md, "REST endpoints"). */
export const BlockListResponseSchema = v.strictObject({
  users: v.pipe(
    v.array(UserIdSchema),
    v.maxLength(BLOCK_LIST_MAX),
    uniqueBy((u: string) => u),
  ),
});

export type DeviceInfo = v.InferOutput<typeof DeviceInfoSchema>;
export type DeviceRegistration = v.InferOutput<typeof DeviceRegistrationSchema>;
export type DeviceRegisteredResponse = v.InferOutput<typeof DeviceRegisteredResponseSchema>;
export type PrekeyUpload = v.InferOutput<typeof PrekeyUploadSchema>;
export type PrekeyStatusResponse = v.InferOutput<typeof PrekeyStatusResponseSchema>;
export type DeviceListPublish = v.InferOutput<typeof DeviceListPublishSchema>;
export type IdentityReset = v.InferOutput<typeof IdentityResetSchema>;
export type IdentityResetResponse = v.InferOutput<typeof IdentityResetResponseSchema>;
export type DeviceListPublishedResponse = v.InferOutput<typeof DeviceListPublishedResponseSchema>;
export type OwnDevice = v.InferOutput<typeof OwnDeviceSchema>;
export type OwnDevicesResponse = v.InferOutput<typeof OwnDevicesResponseSchema>;
export type DeviceListResponse = v.InferOutput<typeof DeviceListResponseSchema>;
export type PrekeyBundle = v.InferOutput<typeof PrekeyBundleSchema>;
export type PrekeyBundlesResponse = v.InferOutput<typeof PrekeyBundlesResponseSchema>;
export type UserLookupResponse = v.InferOutput<typeof UserLookupResponseSchema>;
export type BlockListResponse = v.InferOutput<typeof BlockListResponseSchema>;
