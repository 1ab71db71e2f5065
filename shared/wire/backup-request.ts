/**
 * Requests to the relay's backup store (docs/wire.md, "Backups"), signed by
 * the backup auth key (shared/backup/keys.ts) instead of a device:
 *
 *   Authorization: Parley-Backup key=<base64url>, ts=<ms>, sig=<base64url>
 *
 * `sig` is the auth key's Ed25519 signature over
 *   signedPayload(BACKUP_REQUEST, METHOD, path-and-query, key, u64be(ts), SHA-256(body))
 * the same shape as device-signed requests (device-request.ts): one method,
 * target (which names the backup id) and body, at one time, accepted within
 * REQUEST_MAX_SKEW_MS of the relay clock and refused if replayed. `key` is the
 * public key itself: the relay pins it at the backup's first upload and
 * compares it on every later request, so nothing names the account.
 */
import { type Bytes, fromBase64Url, toBase64Url, utf8 } from '../bytes.ts';
import {
  ED25519_PUBLIC_KEY_BYTES,
  ED25519_SIGNATURE_BYTES,
  sign,
  signedPayload,
  verify,
} from '../crypto/ed25519.ts';
import { sha256Digest } from '../crypto/kdf.ts';
import { SignatureContext } from '../crypto/labels.ts';
import { ErrorCode, fail, ParleyError } from '../errors.ts';
import type { SignedRequest } from './device-request.ts';
import { AUTH_HEADER_MAX_CHARS, TIMESTAMP_MAX } from './limits.ts';

export const BACKUP_AUTH_SCHEME = 'Parley-Backup';

export interface BackupRequestAuth {
  /** The backup auth public key (32 bytes). */
  readonly key: Bytes;
  /** Client clock, ms since the epoch. */
  readonly ts: number;
  readonly signature: Bytes;
}

const METHOD = /^[A-Z]{1,10}$/;
const PATH = /^\/[\x21-\x7e]{0,2047}$/;
const DECIMAL = /^(?:0|[1-9][0-9]{0,15})$/;
const B64 = /^[A-Za-z0-9_-]+$/;

function u64be(n: number): Bytes {
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setUint32(0, Math.floor(n / 0x1_0000_0000));
  view.setUint32(4, n >>> 0);
  return out;
}

export function backupRequestPayload(
  request: SignedRequest,
  auth: Omit<BackupRequestAuth, 'signature'>,
): Bytes {
  if (!METHOD.test(request.method))
    fail(ErrorCode.BAD_ARGUMENT, 'Backup request: method must be an uppercase token');
  if (!PATH.test(request.path))
    fail(ErrorCode.BAD_ARGUMENT, 'Backup request: path must start with "/" and be printable ASCII');
  if (auth.key.length !== ED25519_PUBLIC_KEY_BYTES)
    fail(ErrorCode.BAD_ARGUMENT, 'Backup request: key must be 32 bytes');
  if (!Number.isSafeInteger(auth.ts) || auth.ts < 0 || auth.ts > TIMESTAMP_MAX)
    fail(ErrorCode.BAD_ARGUMENT, 'Backup request: ts must be a timestamp');
  return signedPayload(
    SignatureContext.BACKUP_REQUEST,
    utf8(request.method),
    utf8(request.path),
    auth.key,
    u64be(auth.ts),
    sha256Digest(request.body),
  );
}

export function formatBackupAuthorization(auth: BackupRequestAuth): string {
  return `${BACKUP_AUTH_SCHEME} key=${toBase64Url(auth.key)}, ts=${auth.ts}, sig=${toBase64Url(auth.signature)}`;
}

function invalidHeader(reason: string): ParleyError {
  return new ParleyError(ErrorCode.AUTH_HEADER_INVALID, `Invalid Authorization header: ${reason}`, {
    reason,
  });
}

function canonicalBytes(text: string | undefined, bytes: number, what: string): Bytes {
  if (text === undefined || text.length !== Math.ceil((bytes * 4) / 3) || !B64.test(text))
    throw invalidHeader(what);
  const decoded = fromBase64Url(text);
  if (toBase64Url(decoded) !== text) throw invalidHeader(what);
  return decoded;
}

function headerParams(header: string): Map<string, string> {
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space).toLowerCase() !== BACKUP_AUTH_SCHEME.toLowerCase())
    throw invalidHeader('scheme');
  const params = new Map<string, string>();
  for (const part of header.slice(space + 1).split(',')) {
    const item = part.trim();
    const eq = item.indexOf('=');
    if (eq <= 0) throw invalidHeader('syntax');
    const name = item.slice(0, eq);
    if (!['key', 'ts', 'sig'].includes(name)) throw invalidHeader('unknown parameter');
    if (params.has(name)) throw invalidHeader('duplicate parameter');
    params.set(name, item.slice(eq + 1));
  }
  return params;
}

/** Strict parser (exactly key, ts and sig, each once); throws AUTH_HEADER_INVALID. */
export function parseBackupAuthorization(header: string | null | undefined): BackupRequestAuth {
  if (typeof header !== 'string' || header.length === 0) throw invalidHeader('missing');
  if (header.length > AUTH_HEADER_MAX_CHARS) throw invalidHeader('too long');
  const params = headerParams(header);
  const ts = params.get('ts');
  if (ts === undefined || !DECIMAL.test(ts) || Number(ts) > TIMESTAMP_MAX)
    throw invalidHeader('ts');
  return {
    key: canonicalBytes(params.get('key'), ED25519_PUBLIC_KEY_BYTES, 'key'),
    ts: Number(ts),
    signature: canonicalBytes(params.get('sig'), ED25519_SIGNATURE_BYTES, 'sig'),
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
export async function verifyBackupRequest(
  auth: BackupRequestAuth,
  request: SignedRequest,
): Promise<boolean> {
  let payload: Bytes;
  try {
    payload = backupRequestPayload(request, auth);
  } catch {
    return false;
  }
  return verify(auth.key, auth.signature, payload);
}
