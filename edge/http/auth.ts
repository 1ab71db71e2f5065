/**
 * Authentication middleware for REST routes:
 *  - requireSession: `Authorization: Bearer <session token>` from a passkey
 *    ceremony; account-level device management only.
 *  - requireDevice: a request signed by a registered device key (replay-proof
 *    within the allowed clock skew); everything a device does over REST.
 *  - requireDevice(…, 'management'): the same, but signed by the account's
 *    identity key on behalf of one of its registered devices; what changes the
 *    account (device removal, blocks, prekey upload). A device-key signature
 *    there is refused with MANAGEMENT_KEY_REQUIRED (docs/wire.md, "Authentication").
 * Every rejection is audited.
 */
import type { MiddlewareHandler } from 'hono';
import { toBase64Url } from '../../shared/bytes.ts';
import { ErrorCode, isParleyError, ParleyError } from '../../shared/errors.ts';
import {
  checkRequestTime,
  parseDeviceAuthorization,
  type RequestKey,
  requestKeyOf,
  verifyDeviceRequest,
} from '../../shared/wire/device-request.ts';
import { SESSION_TOKEN_MAX_CHARS } from '../../shared/wire/limits.ts';
import type { ReplayGuard } from '../auth/replay-cache.ts';
import type { SessionTokens } from '../auth/session-token.ts';
import type { Audit } from '../observability/audit.ts';
import { requestBody } from './body-limit.ts';
import { AuthFailure } from './codes.ts';
import type { AppEnv } from './env.ts';

export function requireSession(tokens: SessionTokens, audit: Audit): MiddlewareHandler<AppEnv> {
  return async function sessionAuth(c, next) {
    const header = c.req.header('authorization');
    if (header === undefined || !header.startsWith('Bearer ')) {
      throw new ParleyError(ErrorCode.AUTH_REQUIRED, 'A session token is required');
    }
    const token = header.slice('Bearer '.length).trim();
    try {
      if (token.length > SESSION_TOKEN_MAX_CHARS) {
        throw new ParleyError(ErrorCode.AUTH_FAILED, 'Session token is invalid or expired', {
          reason: AuthFailure.TOKEN,
        });
      }
      const claims = await tokens.verify(token);
      c.set('accountId', claims.accountId);
    } catch (error) {
      audit.authFailure({
        kind: 'session-token',
        code: `${ErrorCode.AUTH_FAILED}:${AuthFailure.TOKEN}`,
        ip: c.get('ip'),
      });
      throw error;
    }
    await next();
  };
}

export interface DeviceAuthDeps {
  /**
   * The public key that must have signed for this (account, device): the
   * device key, or for management routes the account's identity signing key
   * (undefined unless the device is registered).
   */
  readonly deviceKey: (accountId: string, deviceId: number) => Promise<Uint8Array | undefined>;
  readonly replay: ReplayGuard;
  readonly audit: Audit;
  readonly now: () => number;
  readonly maxBodyBytes: number;
}

export function requireDevice(
  deps: DeviceAuthDeps,
  signer: RequestKey = 'device',
): MiddlewareHandler<AppEnv> {
  const kind = signer === 'device' ? 'device-request' : 'management-request';
  return async function deviceAuth(c, next) {
    const header = c.req.header('authorization');
    if (header === undefined)
      throw new ParleyError(
        ErrorCode.AUTH_REQUIRED,
        signer === 'device'
          ? 'A device signature is required'
          : 'An identity signature is required',
      );
    const ip = c.get('ip');
    if (signer === 'management' && requestKeyOf(header) === 'device') {
      // The device key lives outside the vault (and on disk): it may connect, not manage.
      deps.audit.authFailure({ kind, code: ErrorCode.MANAGEMENT_KEY_REQUIRED, ip });
      throw new ParleyError(
        ErrorCode.MANAGEMENT_KEY_REQUIRED,
        'This route needs a request signed by the identity key (Parley-Manage)',
      );
    }
    const reject = (
      code: string,
      reason: string,
      message: string,
      who?: { accountId: string; deviceId: number },
    ): never => {
      deps.audit.authFailure({
        kind,
        code: `${code}:${reason}`,
        ip,
        accountId: who?.accountId,
        deviceId: who?.deviceId,
      });
      throw new ParleyError(code, message, code === ErrorCode.AUTH_FAILED ? { reason } : undefined);
    };
    let parsed: ReturnType<typeof parseDeviceAuthorization>;
    try {
      parsed = parseDeviceAuthorization(header, signer);
    } catch (error) {
      if (isParleyError(error)) reject(error.code, 'header', error.message);
      throw error;
    }
    const who = { accountId: parsed.user, deviceId: parsed.device };
    const now = deps.now();
    try {
      checkRequestTime(parsed.ts, now);
    } catch (error) {
      if (isParleyError(error)) reject(error.code, 'clock', error.message, who);
      throw error;
    }
    const key = await deps.deviceKey(parsed.user, parsed.device);
    if (key === undefined)
      reject(ErrorCode.AUTH_FAILED, AuthFailure.UNKNOWN_DEVICE, 'Unknown device', who);
    // Normally already read by the route's bodyLimit (with its tighter cap); this is the fallback.
    const body = await requestBody(c, deps.maxBodyBytes);
    const url = new URL(c.req.url);
    const ok = await verifyDeviceRequest(
      key as Uint8Array,
      parsed,
      { method: c.req.method, path: url.pathname + url.search, body },
      signer,
    );
    if (!ok) reject(ErrorCode.AUTH_FAILED, AuthFailure.SIGNATURE, 'Signature does not verify', who);
    // Claimed only after the signature verified, so nobody can burn another device's requests.
    if (!(await deps.replay.claim(toBase64Url(parsed.signature), now))) {
      reject(ErrorCode.REQUEST_REPLAYED, 'replay', 'Request was already used', who);
    }
    c.set('accountId', parsed.user);
    c.set('deviceId', parsed.device);
    await next();
  };
}

/** Session token or device signature, chosen by the Authorization scheme. */
export function requireEither(
  session: MiddlewareHandler<AppEnv>,
  device: MiddlewareHandler<AppEnv>,
): MiddlewareHandler<AppEnv> {
  return async function sessionOrDevice(c, next) {
    const header = c.req.header('authorization') ?? '';
    return header.startsWith('Bearer ') ? session(c, next) : device(c, next);
  };
}
