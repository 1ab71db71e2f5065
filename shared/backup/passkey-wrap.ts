/**
 * The recovery key wrapped by the passkey's PRF (docs/protocol.md, "Backups",
 * "Recovery key wrapped by the passkey"), so that a person with the same
 * synced passkey can restore without typing the key:
 *
 *   PRF input  = SHA-256("PARLEY-v1:passkey-wrap-prf-salt")   fixed, not the vault's (random) salt
 *   WK         = HKDF(PRF output, "PARLEY-v1:passkey-wrap", 32)
 *   AAD        = "PARLEY-v1:passkey-wrap" ‖ u32(len) ‖ account id ‖ u32(len) ‖ credential id
 *   wrapped    = 0x01 ‖ nonce (12) ‖ AES-256-GCM(WK, nonce, RK, AAD)   61 bytes
 *
 * The relay stores `wrapped` per account and credential; it never sees the
 * PRF output, WK or RK. The AAD binds a wrap to its account and credential,
 * so a relay cannot hand one account's wrap to another, nor move a wrap
 * between passkeys. Every failure to open is RECOVERY_WRAP_INVALID: a wrong
 * PRF output, another binding and altered bytes are indistinguishable by
 * design (AES-GCM), and never give a wrong key.
 */
import { type Bytes, concat, u32be, utf8 } from '../bytes.ts';
import { GCM_NONCE_BYTES, GCM_TAG_BYTES, openSmall, sealSmall } from '../crypto/aead.ts';
import { hkdf, sha256Digest } from '../crypto/kdf.ts';
import { Label } from '../crypto/labels.ts';
import type { Random } from '../crypto/random.ts';
import { ErrorCode, ParleyError } from '../errors.ts';
import { RECOVERY_KEY_BYTES } from './recovery-key.ts';

/** The only format so far; another first byte is refused as `format`. */
export const PASSKEY_WRAP_VERSION = 1;
/** WebAuthn's PRF output (the hmac-secret extension) is always 32 bytes. */
export const PRF_OUTPUT_BYTES = 32;
export const PASSKEY_WRAP_BYTES = 1 + GCM_NONCE_BYTES + RECOVERY_KEY_BYTES + GCM_TAG_BYTES;
const WRAP_KEY_BYTES = 32;

/** The PRF input asked of the authenticator (the same on every device, so a synced passkey agrees). */
export const PASSKEY_WRAP_PRF_SALT: Bytes = sha256Digest(utf8(Label.PASSKEY_WRAP_PRF_SALT));

/** What a wrap is bound to. */
export interface PasskeyWrapBinding {
  readonly accountId: string;
  /** The credential id as WebAuthn gives it (base64url). */
  readonly credentialId: string;
}

function invalid(reason: 'format' | 'authentication'): ParleyError {
  return new ParleyError(
    ErrorCode.RECOVERY_WRAP_INVALID,
    'The wrapped recovery key does not open with this passkey',
    { reason },
  );
}

function checkPrfOutput(prfOutput: Uint8Array): void {
  if (prfOutput.length !== PRF_OUTPUT_BYTES)
    throw new RangeError(`PRF output: expected ${PRF_OUTPUT_BYTES} bytes, got ${prfOutput.length}`);
}

export function derivePasskeyWrapKey(prfOutput: Uint8Array): Bytes {
  checkPrfOutput(prfOutput);
  return hkdf(prfOutput, undefined, Label.PASSKEY_WRAP, WRAP_KEY_BYTES);
}

/** Length-prefixed, so no two bindings give the same bytes. */
export function passkeyWrapAad(binding: PasskeyWrapBinding): Bytes {
  const account = utf8(binding.accountId);
  const credential = utf8(binding.credentialId);
  return concat(
    utf8(Label.PASSKEY_WRAP),
    u32be(account.length),
    account,
    u32be(credential.length),
    credential,
  );
}

/** Wraps RK under the PRF output; `random` gives the 12-byte nonce. */
export function wrapRecoveryKey(
  recoveryKey: Uint8Array,
  prfOutput: Uint8Array,
  binding: PasskeyWrapBinding,
  random: Random,
): Bytes {
  if (recoveryKey.length !== RECOVERY_KEY_BYTES)
    throw new RangeError(
      `Recovery key: expected ${RECOVERY_KEY_BYTES} bytes, got ${recoveryKey.length}`,
    );
  const key = derivePasskeyWrapKey(prfOutput);
  const nonce = random(GCM_NONCE_BYTES);
  try {
    const sealed = sealSmall(key, nonce, recoveryKey, passkeyWrapAad(binding));
    return concat(new Uint8Array([PASSKEY_WRAP_VERSION]), nonce, sealed);
  } finally {
    key.fill(0);
  }
}

/** RK, or RECOVERY_WRAP_INVALID: never a key other than the one wrapped. */
export function unwrapRecoveryKey(
  wrapped: Uint8Array,
  prfOutput: Uint8Array,
  binding: PasskeyWrapBinding,
): Bytes {
  if (wrapped.length !== PASSKEY_WRAP_BYTES || wrapped[0] !== PASSKEY_WRAP_VERSION)
    throw invalid('format');
  const key = derivePasskeyWrapKey(prfOutput);
  try {
    const nonce = wrapped.subarray(1, 1 + GCM_NONCE_BYTES);
    return openSmall(key, nonce, wrapped.subarray(1 + GCM_NONCE_BYTES), passkeyWrapAad(binding));
  } catch (e) {
    if (e instanceof ParleyError) throw invalid('authentication');
    throw e;
  } finally {
    key.fill(0);
  }
}
