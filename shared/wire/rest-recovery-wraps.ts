/**
 * The recovery key wrapped by a passkey's PRF (docs/wire.md, "Recovery key
 * wrapped by the passkey"; the format is shared/backup/passkey-wrap.ts): 61
 * opaque bytes per account and passkey credential, which the relay stores and
 * hands back but cannot open (it never sees the PRF output or the key).
 *
 *   PUT    /v1/recovery-wraps/:credential   {wrapped} -> 204   identity-signed (Parley-Manage)
 *   GET    /v1/recovery-wraps/:credential   -> {wrapped}       session (a fresh passkey login)
 *   DELETE /v1/recovery-wraps/:credential   -> 204             identity-signed
 *   DELETE /v1/recovery-wraps               -> 204             identity-signed: every wrap of the account
 *
 * The credential must be one of the account's passkeys (404 otherwise).
 */
import * as v from 'valibot';
import { RECOVERY_WRAP_BYTES, WEBAUTHN_CREDENTIAL_ID_MAX_CHARS } from './limits.ts';
import { b64Bytes, b64Text } from './rest-fields.ts';

/** A passkey credential id as it appears in paths: WebAuthn's base64url. */
export const CredentialIdSchema = b64Text(WEBAUTHN_CREDENTIAL_ID_MAX_CHARS);

export const RecoveryWrapSchema = v.strictObject({
  wrapped: b64Bytes(RECOVERY_WRAP_BYTES),
});
export type RecoveryWrap = v.InferOutput<typeof RecoveryWrapSchema>;
