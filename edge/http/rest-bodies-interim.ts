/**
 * TEMPORARY: REST request bodies, until shared/wire publishes its REST
 * schemas (then this file is deleted and the routes import those). Byte
 * fields travel as unpadded base64url text in JSON.
 */
import * as v from 'valibot';
import { fromBase64Url } from '../../shared/bytes.ts';
import { PreKeyKind } from '../../shared/crypto/keys.ts';
import {
  DeviceIdSchema,
  PrekeyIdSchema,
  TimestampSchema,
  UserIdSchema,
} from '../../shared/wire/fields.ts';
import {
  HANDLE_INPUT_MAX_CHARS,
  MAX_DEVICES_PER_USER,
  ONE_TIME_PREKEYS_MAX_UPLOAD,
  WEBAUTHN_ATTESTATION_MAX_CHARS,
  WEBAUTHN_AUTHENTICATOR_DATA_MAX_CHARS,
  WEBAUTHN_CLIENT_DATA_MAX_CHARS,
  WEBAUTHN_CREDENTIAL_ID_MAX_CHARS,
  WEBAUTHN_SIGNATURE_MAX_CHARS,
  WEBAUTHN_USER_HANDLE_MAX_CHARS,
} from '../../shared/wire/limits.ts';

function b64(maxChars: number) {
  return v.pipe(v.string(), v.maxLength(maxChars), v.regex(/^[A-Za-z0-9_-]*$/));
}

/** base64url text decoded to bytes of exactly `length` (or `min`..`max`) bytes. */
function b64Bytes(min: number, max = min) {
  return v.pipe(
    v.string(),
    v.maxLength(Math.ceil((max * 4) / 3) + 2),
    v.regex(/^[A-Za-z0-9_-]*$/),
    v.transform((text) => fromBase64Url(text)),
    v.check((b) => b.length >= min && b.length <= max, 'length'),
  );
}

export const HandleInputSchema = v.pipe(v.string(), v.maxLength(HANDLE_INPUT_MAX_CHARS));

export const RegisterOptionsBody = v.strictObject({ handle: HandleInputSchema });
export const LoginOptionsBody = v.strictObject({ handle: v.exactOptional(HandleInputSchema) });

const ExtensionResults = v.record(v.string(), v.unknown());

export const RegistrationResponseSchema = v.object({
  id: b64(WEBAUTHN_CREDENTIAL_ID_MAX_CHARS),
  rawId: b64(WEBAUTHN_CREDENTIAL_ID_MAX_CHARS),
  type: v.literal('public-key'),
  authenticatorAttachment: v.exactOptional(v.picklist(['platform', 'cross-platform'])),
  clientExtensionResults: ExtensionResults,
  response: v.object({
    clientDataJSON: b64(WEBAUTHN_CLIENT_DATA_MAX_CHARS),
    attestationObject: b64(WEBAUTHN_ATTESTATION_MAX_CHARS),
    authenticatorData: v.exactOptional(b64(WEBAUTHN_AUTHENTICATOR_DATA_MAX_CHARS)),
    transports: v.exactOptional(
      v.pipe(v.array(v.pipe(v.string(), v.maxLength(32))), v.maxLength(8)),
    ),
    publicKeyAlgorithm: v.exactOptional(v.pipe(v.number(), v.integer())),
    publicKey: v.exactOptional(b64(WEBAUTHN_ATTESTATION_MAX_CHARS)),
  }),
});

export const AuthenticationResponseSchema = v.object({
  id: b64(WEBAUTHN_CREDENTIAL_ID_MAX_CHARS),
  rawId: b64(WEBAUTHN_CREDENTIAL_ID_MAX_CHARS),
  type: v.literal('public-key'),
  authenticatorAttachment: v.exactOptional(v.picklist(['platform', 'cross-platform'])),
  clientExtensionResults: ExtensionResults,
  response: v.object({
    clientDataJSON: b64(WEBAUTHN_CLIENT_DATA_MAX_CHARS),
    authenticatorData: b64(WEBAUTHN_AUTHENTICATOR_DATA_MAX_CHARS),
    signature: b64(WEBAUTHN_SIGNATURE_MAX_CHARS),
    userHandle: v.exactOptional(b64(WEBAUTHN_USER_HANDLE_MAX_CHARS)),
  }),
});

export const RegisterVerifyBody = v.strictObject({ response: RegistrationResponseSchema });
export const LoginVerifyBody = v.strictObject({ response: AuthenticationResponseSchema });

const IdentitySchema = v.strictObject({
  dh: b64Bytes(32),
  signing: b64Bytes(32),
  binding: b64Bytes(64),
});

const CertificateSchema = v.strictObject({
  userId: UserIdSchema,
  deviceId: DeviceIdSchema,
  deviceKey: b64Bytes(32),
  createdAt: TimestampSchema,
  signature: b64Bytes(64),
});

const SignedPreKeySchema = v.pipe(
  v.strictObject({ id: PrekeyIdSchema, publicKey: b64Bytes(32), signature: b64Bytes(64) }),
  v.transform((k) => ({ kind: PreKeyKind.SIGNED, ...k })),
);

const KemPreKeySchema = v.pipe(
  v.strictObject({ id: PrekeyIdSchema, publicKey: b64Bytes(1184), signature: b64Bytes(64) }),
  v.transform((k) => ({ kind: PreKeyKind.KEM, ...k })),
);

const OneTimePreKeySchema = v.pipe(
  v.strictObject({ id: PrekeyIdSchema, publicKey: b64Bytes(32) }),
  v.transform((k) => ({ kind: PreKeyKind.ONE_TIME, ...k })),
);

const OneTimePreKeyList = v.pipe(
  v.array(OneTimePreKeySchema),
  v.maxLength(ONE_TIME_PREKEYS_MAX_UPLOAD),
);

export const RegisterDeviceBody = v.strictObject({
  identity: IdentitySchema,
  certificate: CertificateSchema,
  signedPreKey: SignedPreKeySchema,
  kemPreKey: KemPreKeySchema,
  oneTimePreKeys: OneTimePreKeyList,
});

export const BundlesBody = v.strictObject({
  devices: v.exactOptional(
    v.pipe(v.array(DeviceIdSchema), v.minLength(1), v.maxLength(MAX_DEVICES_PER_USER)),
  ),
});

export const RefillBody = v.strictObject({
  oneTimePreKeys: v.pipe(OneTimePreKeyList, v.minLength(1)),
});

export const RotateBody = v.pipe(
  v.strictObject({
    signedPreKey: v.exactOptional(SignedPreKeySchema),
    kemPreKey: v.exactOptional(KemPreKeySchema),
  }),
  v.check((b) => b.signedPreKey !== undefined || b.kemPreKey !== undefined, 'missing_field'),
);
