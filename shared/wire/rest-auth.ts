/**
 * Passkey (WebAuthn) ceremonies and session tokens. The WebAuthn JSON shapes
 * are @simplewebauthn's (RegistrationResponseJSON, AuthenticationResponseJSON
 * and the options JSON): we check their outer shape with caps and pass the
 * contents on untouched; @simplewebauthn/server verifies them. Unknown extra
 * members are allowed there (browsers add new ones), bounded by the body cap.
 */
import * as v from 'valibot';
import { HandleSchema, TimestampSchema, UserIdSchema } from './fields.ts';
import {
  SESSION_TOKEN_MAX_CHARS,
  WEBAUTHN_ATTESTATION_MAX_CHARS,
  WEBAUTHN_AUTHENTICATOR_DATA_MAX_CHARS,
  WEBAUTHN_CHALLENGE_MAX_CHARS,
  WEBAUTHN_CLIENT_DATA_MAX_CHARS,
  WEBAUTHN_CREDENTIAL_ID_MAX_CHARS,
  WEBAUTHN_SIGNATURE_MAX_CHARS,
  WEBAUTHN_USER_HANDLE_MAX_CHARS,
} from './limits.ts';
import { b64Text } from './rest-fields.ts';

const shortText = v.pipe(v.string(), v.maxLength(256));
const credentialId = b64Text(WEBAUTHN_CREDENTIAL_ID_MAX_CHARS);
const extensionResults = v.looseObject({});
const attachment = v.picklist(['platform', 'cross-platform']);
const transports = v.pipe(v.array(v.pipe(v.string(), v.maxLength(32))), v.maxLength(8));

/** What navigator.credentials.create() returned, as JSON (@simplewebauthn RegistrationResponseJSON). */
export const RegistrationResponseSchema = v.looseObject({
  id: credentialId,
  rawId: credentialId,
  type: v.literal('public-key'),
  response: v.looseObject({
    clientDataJSON: b64Text(WEBAUTHN_CLIENT_DATA_MAX_CHARS),
    attestationObject: b64Text(WEBAUTHN_ATTESTATION_MAX_CHARS),
    authenticatorData: v.exactOptional(b64Text(WEBAUTHN_AUTHENTICATOR_DATA_MAX_CHARS)),
    transports: v.exactOptional(transports),
    publicKeyAlgorithm: v.exactOptional(v.pipe(v.number(), v.safeInteger())),
    publicKey: v.exactOptional(b64Text(WEBAUTHN_ATTESTATION_MAX_CHARS)),
  }),
  authenticatorAttachment: v.exactOptional(attachment),
  clientExtensionResults: extensionResults,
});

/** What navigator.credentials.get() returned, as JSON (@simplewebauthn AuthenticationResponseJSON). */
export const AuthenticationResponseSchema = v.looseObject({
  id: credentialId,
  rawId: credentialId,
  type: v.literal('public-key'),
  response: v.looseObject({
    clientDataJSON: b64Text(WEBAUTHN_CLIENT_DATA_MAX_CHARS),
    authenticatorData: b64Text(WEBAUTHN_AUTHENTICATOR_DATA_MAX_CHARS),
    signature: b64Text(WEBAUTHN_SIGNATURE_MAX_CHARS),
    userHandle: v.exactOptional(b64Text(WEBAUTHN_USER_HANDLE_MAX_CHARS)),
  }),
  authenticatorAttachment: v.exactOptional(attachment),
  clientExtensionResults: extensionResults,
});

const credentialDescriptor = v.looseObject({
  id: credentialId,
  type: v.literal('public-key'),
  transports: v.exactOptional(transports),
});

/** generateRegistrationOptions() output (PublicKeyCredentialCreationOptionsJSON), checked loosely by clients. */
export const CreationOptionsSchema = v.looseObject({
  challenge: b64Text(WEBAUTHN_CHALLENGE_MAX_CHARS),
  rp: v.looseObject({ name: shortText, id: v.exactOptional(shortText) }),
  user: v.looseObject({
    id: b64Text(WEBAUTHN_USER_HANDLE_MAX_CHARS),
    name: shortText,
    displayName: shortText,
  }),
  pubKeyCredParams: v.pipe(
    v.array(
      v.looseObject({ type: v.literal('public-key'), alg: v.pipe(v.number(), v.safeInteger()) }),
    ),
    v.maxLength(16),
  ),
  timeout: v.exactOptional(v.pipe(v.number(), v.safeInteger(), v.minValue(0))),
  excludeCredentials: v.exactOptional(v.pipe(v.array(credentialDescriptor), v.maxLength(64))),
});

/** generateAuthenticationOptions() output (PublicKeyCredentialRequestOptionsJSON). */
export const RequestOptionsSchema = v.looseObject({
  challenge: b64Text(WEBAUTHN_CHALLENGE_MAX_CHARS),
  timeout: v.exactOptional(v.pipe(v.number(), v.safeInteger(), v.minValue(0))),
  rpId: v.exactOptional(shortText),
  allowCredentials: v.exactOptional(v.pipe(v.array(credentialDescriptor), v.maxLength(64))),
});

// --- Requests and responses ------------------------------------------------

/** POST /v1/auth/register/options: claim a handle (canonical form; see normalizeHandle). */
export const RegisterOptionsRequestSchema = v.strictObject({ handle: HandleSchema });

/** Response of register/options and passkeys/options. */
export const CreationOptionsResponseSchema = v.strictObject({ options: CreationOptionsSchema });

/** POST /v1/auth/register/verify and /v1/auth/passkeys/verify. The relay finds the ceremony by its challenge. */
export const RegistrationVerifyRequestSchema = v.strictObject({
  response: RegistrationResponseSchema,
});

/** POST /v1/auth/login/options: with a handle (that account's passkeys), or without (discoverable credentials). */
export const LoginOptionsRequestSchema = v.strictObject({ handle: v.exactOptional(HandleSchema) });

export const RequestOptionsResponseSchema = v.strictObject({ options: RequestOptionsSchema });

/** POST /v1/auth/login/verify. */
export const LoginVerifyRequestSchema = v.strictObject({ response: AuthenticationResponseSchema });

/** Successful register/verify or login/verify: a short-lived token for device management (Bearer). */
export const SessionResponseSchema = v.strictObject({
  user: UserIdSchema,
  handle: HandleSchema,
  token: v.pipe(
    v.string(),
    v.minLength(1),
    v.maxLength(SESSION_TOKEN_MAX_CHARS),
    v.regex(/^[A-Za-z0-9_.-]+$/),
  ),
  expiresAt: TimestampSchema,
});

/** Successful passkeys/verify (another passkey added to the signed-in account). */
export const PasskeyAddedResponseSchema = v.strictObject({ credentialId });

export type RegistrationResponse = v.InferOutput<typeof RegistrationResponseSchema>;
export type AuthenticationResponse = v.InferOutput<typeof AuthenticationResponseSchema>;
export type CreationOptions = v.InferOutput<typeof CreationOptionsSchema>;
export type RequestOptions = v.InferOutput<typeof RequestOptionsSchema>;
export type RegisterOptionsRequest = v.InferOutput<typeof RegisterOptionsRequestSchema>;
export type CreationOptionsResponse = v.InferOutput<typeof CreationOptionsResponseSchema>;
export type RegistrationVerifyRequest = v.InferOutput<typeof RegistrationVerifyRequestSchema>;
export type LoginOptionsRequest = v.InferOutput<typeof LoginOptionsRequestSchema>;
export type RequestOptionsResponse = v.InferOutput<typeof RequestOptionsResponseSchema>;
export type LoginVerifyRequest = v.InferOutput<typeof LoginVerifyRequestSchema>;
export type SessionResponse = v.InferOutput<typeof SessionResponseSchema>;
export type PasskeyAddedResponse = v.InferOutput<typeof PasskeyAddedResponseSchema>;
