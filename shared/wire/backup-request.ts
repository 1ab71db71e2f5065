/**
 * Requests to the relay's backup store (docs/wire.md, "Backups"), signed by
 * the backup auth key (shared/backup/keys.ts) instead of a device:
 *
 *   Authorization: Parley-Backup key=<base64url>, ts=<ms>, sig=<base64url>
 *
 * `sig` is the auth key's Ed25519 signature over
 *   signedPayload(BACKUP_REQUEST, METHOD, path-and-query, key, u64be(ts), SHA-256(body))
 * the same format as device-signed requests (signed-request.ts): one method,
 * target (which names the backup id) and body, at one time, accepted within
 * REQUEST_MAX_SKEW_MS of the relay clock and refused if replayed. `key` is the
 * public key itself: the relay pins it at the backup's first upload and
 * compares it on every later request, so nothing names the account.
 */
import { type Bytes, toBase64Url } from '../bytes.ts';
import { ED25519_PUBLIC_KEY_BYTES, ED25519_SIGNATURE_BYTES, sign } from '../crypto/ed25519.ts';
import { SignatureContext } from '../crypto/labels.ts';
import { ErrorCode, fail } from '../errors.ts';
import { TIMESTAMP_MAX } from './limits.ts';
import {
  authParams,
  base64UrlParam,
  decimalParam,
  formatAuthorization,
  type RequestScheme,
  type SignedRequest,
  signedRequestPayload,
  verifySignedRequest,
} from './signed-request.ts';

export const BACKUP_AUTH_SCHEME = 'Parley-Backup';

const SCHEME: RequestScheme = {
  name: BACKUP_AUTH_SCHEME,
  context: SignatureContext.BACKUP_REQUEST,
  label: 'Backup request',
  params: ['key', 'ts', 'sig'],
};

export interface BackupRequestAuth {
  /** The backup auth public key (32 bytes). */
  readonly key: Bytes;
  /** Client clock, ms since the epoch. */
  readonly ts: number;
  readonly signature: Bytes;
}

export function backupRequestPayload(
  request: SignedRequest,
  auth: Omit<BackupRequestAuth, 'signature'>,
): Bytes {
  const signer = (): readonly Bytes[] => {
    if (auth.key.length !== ED25519_PUBLIC_KEY_BYTES)
      fail(ErrorCode.BAD_ARGUMENT, 'Backup request: key must be 32 bytes');
    return [auth.key];
  };
  return signedRequestPayload(SCHEME, request, signer, auth.ts);
}

export function formatBackupAuthorization(auth: BackupRequestAuth): string {
  return formatAuthorization(SCHEME, {
    key: toBase64Url(auth.key),
    ts: auth.ts,
    sig: toBase64Url(auth.signature),
  });
}

/** Strict parser (exactly key, ts and sig, each once); throws AUTH_HEADER_INVALID. */
export function parseBackupAuthorization(header: string | null | undefined): BackupRequestAuth {
  const params = authParams(header, SCHEME);
  const ts = decimalParam(params.get('ts'), 0, TIMESTAMP_MAX, 'ts');
  return {
    key: base64UrlParam(params.get('key'), ED25519_PUBLIC_KEY_BYTES, 'key'),
    ts,
    signature: base64UrlParam(params.get('sig'), ED25519_SIGNATURE_BYTES, 'sig'),
  };
}

/** Client side: the Authorization header value for one backup request. */
export async function signBackupRequest(
  auth: { readonly privateKey: CryptoKey; readonly publicKey: Uint8Array },
  request: SignedRequest,
  ts: number,
): Promise<string> {
  const key = Uint8Array.from(auth.publicKey);
  const signature = await sign(auth.privateKey, backupRequestPayload(request, { key, ts }));
  return formatBackupAuthorization({ key, ts, signature });
}

/** Relay side: true only if the header's key signed this exact request. */
export function verifyBackupRequest(
  auth: BackupRequestAuth,
  request: SignedRequest,
): Promise<boolean> {
  return verifySignedRequest(auth.key, auth.signature, () => backupRequestPayload(request, auth));
}
