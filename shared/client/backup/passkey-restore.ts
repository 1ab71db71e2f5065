/**
 * The recovery key by passkey (docs/protocol.md, "Backups", "Recovery key
 * wrapped by the passkey"): turning it on wraps the account's recovery key
 * under this passkey's PRF output; a fresh browser, after a passkey login
 * that also evaluated the PRF, fetches the wrap with the login's session and
 * unwraps the same recovery key, then restores exactly as if it was typed.
 */

import { unwrapRecoveryKey, wrapRecoveryKey } from '../../backup/passkey-wrap.ts';
import { formatRecoveryKey, parseRecoveryKey } from '../../backup/recovery-key.ts';
import { type Bytes, wipe } from '../../bytes.ts';
import type { Random } from '../../crypto/random.ts';
import { ErrorCode, isParleyError, ParleyError } from '../../errors.ts';
import type { RelayApi } from '../relay/relay-api.ts';

export interface PasskeyPrf {
  /** The credential that answered (base64url, as WebAuthn gives it). */
  readonly credentialId: string;
  /** Its PRF output for PASSKEY_WRAP_PRF_SALT (32 bytes). */
  readonly prfOutput: Uint8Array;
}

/** The 61 bytes to store for `recoveryKey` (as shown or typed) under this passkey. */
export function wrapForPasskey(
  recoveryKey: string,
  accountId: string,
  prf: PasskeyPrf,
  random: Random,
): Bytes {
  const rk = parseRecoveryKey(recoveryKey);
  try {
    return wrapRecoveryKey(
      rk,
      prf.prfOutput,
      { accountId, credentialId: prf.credentialId },
      random,
    );
  } finally {
    wipe(rk);
  }
}

/**
 * The recovery key (as shown) from the relay's wrap for this passkey, with the
 * session of the login that named `accountId`. RECOVERY_WRAP_NOT_FOUND when
 * this passkey was never set up; RECOVERY_WRAP_INVALID when it does not open.
 */
export async function recoveryKeyFromPasskey(
  api: RelayApi,
  session: { readonly user: string; readonly token: string },
  prf: PasskeyPrf,
): Promise<string> {
  let wrapped: Bytes;
  try {
    wrapped = await api.getRecoveryWrap(prf.credentialId, session.token);
  } catch (e) {
    if (isParleyError(e, ErrorCode.NOT_FOUND))
      throw new ParleyError(
        ErrorCode.RECOVERY_WRAP_NOT_FOUND,
        'The relay keeps no recovery key wrapped by this passkey',
      );
    throw e;
  }
  const rk = unwrapRecoveryKey(wrapped, prf.prfOutput, {
    accountId: session.user,
    credentialId: prf.credentialId,
  });
  try {
    return formatRecoveryKey(rk);
  } finally {
    wipe(rk);
  }
}
