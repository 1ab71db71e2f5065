/**
 * Device-signed REST requests (bundle fetches, prekey uploads, attachments):
 *
 *   Authorization: Parley-Device user=<uuid>, device=<id>, ts=<ms>, sig=<base64url>
 *
 * `sig` is the device key's Ed25519 signature over
 *   signedPayload(DEVICE_REQUEST, METHOD, path-and-query, user, u32be(device), u64be(ts), SHA-256(body))
 * so a signature covers exactly one method, target and body, by one device, at
 * one time. The relay accepts `ts` within REQUEST_MAX_SKEW_MS of its clock and
 * remembers each accepted signature for twice that long to refuse replays
 * (REQUEST_REPLAYED); clients therefore never reuse a `ts` for one device.
 * `path` is the request target as sent (pathname plus "?query" if any), so a
 * reverse proxy in front of the relay must not rewrite it.
 *
 * Management requests (device removal, blocks, prekey upload; docs/wire.md,
 * "Authentication") have the same shape under another scheme and signature context,
 *
 *   Authorization: Parley-Manage user=<uuid>, device=<id>, ts=<ms>, sig=<base64url>
 *
 * but `sig` is made with the account's identity Ed25519 key, which the
 * extension keeps only inside its vault. The device key is kept outside the
 * vault (so a locked browser can stay connected) and Chromium writes it to
 * the profile in a usable form; with it alone one can connect, receive and
 * ack, but the relay refuses it on management routes.
 */
import { type Bytes, fromBase64Url, toBase64Url, u32be, utf8 } from '../bytes.ts';
import { ED25519_SIGNATURE_BYTES, sign, signedPayload, verify } from '../crypto/ed25519.ts';
import { sha256Digest } from '../crypto/kdf.ts';
import { SignatureContext } from '../crypto/labels.ts';
import { ErrorCode, fail, ParleyError } from '../errors.ts';
import { isDeviceId, isUserId, USER_ID_PATTERN } from './fields.ts';
import {
  AUTH_HEADER_MAX_CHARS,
  DEVICE_ID_MAX,
  REQUEST_MAX_SKEW_MS,
  TIMESTAMP_MAX,
} from './limits.ts';

export const DEVICE_AUTH_SCHEME = 'Parley-Device';
export const MANAGEMENT_AUTH_SCHEME = 'Parley-Manage';

/** Which key signs: the device key, or the identity key for management routes. */
export type RequestKey = 'device' | 'management';

const SCHEME: Readonly<Record<RequestKey, string>> = {
  device: DEVICE_AUTH_SCHEME,
  management: MANAGEMENT_AUTH_SCHEME,
};
const CONTEXT: Readonly<Record<RequestKey, string>> = {
  device: SignatureContext.DEVICE_REQUEST,
  management: SignatureContext.MANAGEMENT_REQUEST,
};

/** The signer an Authorization header names by its scheme, or undefined for any other scheme. */
export function requestKeyOf(header: string | null | undefined): RequestKey | undefined {
  if (typeof header !== 'string') return undefined;
  const scheme = header.slice(0, Math.max(0, header.indexOf(' '))).toLowerCase();
  if (scheme === DEVICE_AUTH_SCHEME.toLowerCase()) return 'device';
  if (scheme === MANAGEMENT_AUTH_SCHEME.toLowerCase()) return 'management';
  return undefined;
}

/** What the Authorization header carries. */
export interface DeviceRequestAuth {
  readonly user: string;
  readonly device: number;
  /** Client clock, ms since the epoch. */
  readonly ts: number;
  readonly signature: Bytes;
}

/** The parts of an HTTP request the signature covers. */
export interface SignedRequest {
  readonly method: string;
  /** Pathname plus query string exactly as sent, e.g. "/v1/users/<id>/bundles". */
  readonly path: string;
  /** Raw body bytes (empty for GET/DELETE). */
  readonly body: Uint8Array;
}

const METHOD = /^[A-Z]{1,10}$/;
const PATH = /^\/[\x21-\x7e]{0,2047}$/;
const DECIMAL = /^(?:0|[1-9][0-9]{0,15})$/;
const SIGNATURE_CHARS = Math.ceil((ED25519_SIGNATURE_BYTES * 4) / 3);

function u64be(n: number): Bytes {
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setUint32(0, Math.floor(n / 0x1_0000_0000));
  view.setUint32(4, n >>> 0);
  return out;
}

export function deviceRequestPayload(
  request: SignedRequest,
  auth: Omit<DeviceRequestAuth, 'signature'>,
  key: RequestKey = 'device',
): Bytes {
  if (!METHOD.test(request.method))
    fail(ErrorCode.BAD_ARGUMENT, 'Device request: method must be an uppercase token');
  if (!PATH.test(request.path))
    fail(ErrorCode.BAD_ARGUMENT, 'Device request: path must start with "/" and be printable ASCII');
  if (!isUserId(auth.user))
    fail(ErrorCode.BAD_ARGUMENT, 'Device request: user must be a canonical user id');
  if (!isDeviceId(auth.device))
    fail(ErrorCode.BAD_ARGUMENT, 'Device request: device must be a device id');
  if (!Number.isSafeInteger(auth.ts) || auth.ts < 0 || auth.ts > TIMESTAMP_MAX) {
    fail(ErrorCode.BAD_ARGUMENT, 'Device request: ts must be a timestamp');
  }
  return signedPayload(
    CONTEXT[key],
    utf8(request.method),
    utf8(request.path),
    utf8(auth.user),
    u32be(auth.device),
    u64be(auth.ts),
    sha256Digest(request.body),
  );
}

export function formatDeviceAuthorization(
  auth: DeviceRequestAuth,
  key: RequestKey = 'device',
): string {
  return `${SCHEME[key]} user=${auth.user}, device=${auth.device}, ts=${auth.ts}, sig=${toBase64Url(auth.signature)}`;
}

function invalidHeader(reason: string): ParleyError {
  return new ParleyError(ErrorCode.AUTH_HEADER_INVALID, `Invalid Authorization header: ${reason}`, {
    reason,
  });
}

/**
 * Strict parser: the scheme (case-insensitive, as HTTP says), then exactly the
 * four parameters, each once, in any order, separated by commas. Throws
 * AUTH_HEADER_INVALID; nothing from the header is echoed.
 */
export function parseDeviceAuthorization(
  header: string | null | undefined,
  key: RequestKey = 'device',
): DeviceRequestAuth {
  if (typeof header !== 'string' || header.length === 0) throw invalidHeader('missing');
  if (header.length > AUTH_HEADER_MAX_CHARS) throw invalidHeader('too long');
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space).toLowerCase() !== SCHEME[key].toLowerCase()) {
    throw invalidHeader('scheme');
  }
  const params = new Map<string, string>();
  for (const part of header.slice(space + 1).split(',')) {
    const item = part.trim();
    const eq = item.indexOf('=');
    if (eq <= 0) throw invalidHeader('syntax');
    const key = item.slice(0, eq);
    if (!['user', 'device', 'ts', 'sig'].includes(key)) throw invalidHeader('unknown parameter');
    if (params.has(key)) throw invalidHeader('duplicate parameter');
    params.set(key, item.slice(eq + 1));
  }
  const user = params.get('user');
  const device = params.get('device');
  const ts = params.get('ts');
  const sig = params.get('sig');
  if (user === undefined || device === undefined || ts === undefined || sig === undefined) {
    throw invalidHeader('missing parameter');
  }
  if (!USER_ID_PATTERN.test(user)) throw invalidHeader('user');
  if (!DECIMAL.test(device) || Number(device) < 1 || Number(device) > DEVICE_ID_MAX)
    throw invalidHeader('device');
  if (!DECIMAL.test(ts) || Number(ts) > TIMESTAMP_MAX) throw invalidHeader('ts');
  if (sig.length !== SIGNATURE_CHARS || !/^[A-Za-z0-9_-]+$/.test(sig)) throw invalidHeader('sig');
  const signature = fromBase64Url(sig);
  if (toBase64Url(signature) !== sig) throw invalidHeader('sig');
  return { user, device: Number(device), ts: Number(ts), signature };
}

/**
 * Client side: the Authorization header value for one request. `signingKey` is
 * the device key, or the identity signing key when `key` is 'management'.
 */
export async function signDeviceRequest(
  signingKey: CryptoKey,
  request: SignedRequest,
  who: { readonly user: string; readonly device: number; readonly ts: number },
  key: RequestKey = 'device',
): Promise<string> {
  const signature = await sign(signingKey, deviceRequestPayload(request, who, key));
  return formatDeviceAuthorization({ ...who, signature }, key);
}

/** Relay side: true only if the signature is `publicKey`'s over this exact request. */
export async function verifyDeviceRequest(
  publicKey: Uint8Array,
  auth: DeviceRequestAuth,
  request: SignedRequest,
  key: RequestKey = 'device',
): Promise<boolean> {
  let payload: Bytes;
  try {
    payload = deviceRequestPayload(request, auth, key);
  } catch {
    return false;
  }
  return verify(publicKey, auth.signature, payload);
}

/** Relay side: throws REQUEST_EXPIRED when `ts` is too far from the relay clock. */
export function checkRequestTime(ts: number, now: number, maxSkewMs = REQUEST_MAX_SKEW_MS): void {
  if (Math.abs(now - ts) > maxSkewMs) {
    fail(ErrorCode.REQUEST_EXPIRED, 'Request timestamp is outside the accepted window', {
      maxSkewMs,
    });
  }
}
