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
 *
 * Both are schemes (data) of the one signed-request format in signed-request.ts.
 */
import { type Bytes, toBase64Url, u32be, utf8 } from '../bytes.ts';
import { ED25519_SIGNATURE_BYTES, sign } from '../crypto/ed25519.ts';
import { SignatureContext } from '../crypto/labels.ts';
import { ErrorCode, fail } from '../errors.ts';
import { isDeviceId, isUserId, USER_ID_PATTERN } from './fields.ts';
import { DEVICE_ID_MAX, REQUEST_MAX_SKEW_MS, TIMESTAMP_MAX } from './limits.ts';
import {
  authParams,
  base64UrlParam,
  decimalParam,
  formatAuthorization,
  hasScheme,
  invalidAuthHeader,
  type RequestScheme,
  type SignedRequest,
  signedRequestPayload,
  verifySignedRequest,
} from './signed-request.ts';

export type { SignedRequest } from './signed-request.ts';

export const DEVICE_AUTH_SCHEME = 'Parley-Device';
export const MANAGEMENT_AUTH_SCHEME = 'Parley-Manage';

/** Which key signs: the device key, or the identity key for management routes. */
export type RequestKey = 'device' | 'management';

const PARAMS = ['user', 'device', 'ts', 'sig'] as const;

const SCHEMES: Readonly<Record<RequestKey, RequestScheme>> = {
  device: {
    name: DEVICE_AUTH_SCHEME,
    context: SignatureContext.DEVICE_REQUEST,
    label: 'Device request',
    params: PARAMS,
  },
  management: {
    name: MANAGEMENT_AUTH_SCHEME,
    context: SignatureContext.MANAGEMENT_REQUEST,
    label: 'Device request',
    params: PARAMS,
  },
};

/** The signer an Authorization header names by its scheme, or undefined for any other scheme. */
export function requestKeyOf(header: string | null | undefined): RequestKey | undefined {
  if (typeof header !== 'string') return undefined;
  if (hasScheme(header, SCHEMES.device)) return 'device';
  if (hasScheme(header, SCHEMES.management)) return 'management';
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

export function deviceRequestPayload(
  request: SignedRequest,
  auth: Omit<DeviceRequestAuth, 'signature'>,
  key: RequestKey = 'device',
): Bytes {
  const signer = (): readonly Bytes[] => {
    if (!isUserId(auth.user))
      fail(ErrorCode.BAD_ARGUMENT, 'Device request: user must be a canonical user id');
    if (!isDeviceId(auth.device))
      fail(ErrorCode.BAD_ARGUMENT, 'Device request: device must be a device id');
    return [utf8(auth.user), u32be(auth.device)];
  };
  return signedRequestPayload(SCHEMES[key], request, signer, auth.ts);
}

export function formatDeviceAuthorization(
  auth: DeviceRequestAuth,
  key: RequestKey = 'device',
): string {
  const { user, device, ts } = auth;
  return formatAuthorization(SCHEMES[key], { user, device, ts, sig: toBase64Url(auth.signature) });
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
  const params = authParams(header, SCHEMES[key]);
  const user = params.get('user');
  const device = params.get('device');
  const ts = params.get('ts');
  const sig = params.get('sig');
  if (user === undefined || device === undefined || ts === undefined || sig === undefined) {
    throw invalidAuthHeader('missing parameter');
  }
  if (!USER_ID_PATTERN.test(user)) throw invalidAuthHeader('user');
  return {
    user,
    device: decimalParam(device, 1, DEVICE_ID_MAX, 'device'),
    ts: decimalParam(ts, 0, TIMESTAMP_MAX, 'ts'),
    signature: base64UrlParam(sig, ED25519_SIGNATURE_BYTES, 'sig'),
  };
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
export function verifyDeviceRequest(
  publicKey: Uint8Array,
  auth: DeviceRequestAuth,
  request: SignedRequest,
  key: RequestKey = 'device',
): Promise<boolean> {
  return verifySignedRequest(publicKey, auth.signature, () =>
    deviceRequestPayload(request, auth, key),
  );
}

/** Relay side: throws REQUEST_EXPIRED when `ts` is too far from the relay clock. */
export function checkRequestTime(ts: number, now: number, maxSkewMs = REQUEST_MAX_SKEW_MS): void {
  if (Math.abs(now - ts) > maxSkewMs) {
    fail(ErrorCode.REQUEST_EXPIRED, 'Request timestamp is outside the accepted window', {
      maxSkewMs,
    });
  }
}
