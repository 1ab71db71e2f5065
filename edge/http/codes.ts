/**
 * The one mapping from a stable error code to an HTTP status (the socket sends
 * the same codes in error frames). Codes come from shared/errors.ts; the few
 * the wire contract does not name yet live in `RelayCode` below.
 *
 * TEMPORARY: `RelayCode` belongs in shared/errors.ts (owned by the wire
 * format); when codes with the same strings land there, import them instead.
 */
import { ErrorCode } from '../../shared/errors.ts';

export const RelayCode = {
  /** A user id or device id that does not exist (404). */
  USER_NOT_FOUND: 'USER_NOT_FOUND',
  DEVICE_NOT_FOUND: 'DEVICE_NOT_FOUND',
  /** A send addressed a stale device list; details carry missing/extra/stale ids (409). */
  DEVICE_MISMATCH: 'DEVICE_MISMATCH',
  /** The device already holds the maximum number of one-time prekeys (409). */
  PREKEY_LIMIT: 'PREKEY_LIMIT',
  /** The relay is draining for shutdown (503). */
  SHUTTING_DOWN: 'SHUTTING_DOWN',
} as const;

/** `details.reason` of AUTH_FAILED: what failed, for clients, tests and the audit log. */
export const AuthFailure = {
  TOKEN: 'token',
  CHALLENGE: 'challenge',
  PASSKEY: 'passkey',
  COUNTER: 'counter',
  SIGNATURE: 'signature',
  UNKNOWN_DEVICE: 'unknown-device',
  TIMEOUT: 'timeout',
} as const;
export type AuthFailure = (typeof AuthFailure)[keyof typeof AuthFailure];

const STATUS: Readonly<Record<string, number>> = {
  [ErrorCode.AUTH_REQUIRED]: 401,
  [ErrorCode.AUTH_FAILED]: 401,
  [ErrorCode.AUTH_HEADER_INVALID]: 401,
  [ErrorCode.REQUEST_EXPIRED]: 401,
  [ErrorCode.REQUEST_REPLAYED]: 401,
  [ErrorCode.NOT_FOUND]: 404,
  [RelayCode.USER_NOT_FOUND]: 404,
  [RelayCode.DEVICE_NOT_FOUND]: 404,
  [ErrorCode.HANDLE_TAKEN]: 409,
  [ErrorCode.DEVICE_EXISTS]: 409,
  [ErrorCode.DEVICE_LIMIT]: 409,
  [ErrorCode.IDENTITY_MISMATCH]: 409,
  [RelayCode.DEVICE_MISMATCH]: 409,
  [RelayCode.PREKEY_LIMIT]: 409,
  [ErrorCode.BODY_TOO_LARGE]: 413,
  [ErrorCode.RATE_LIMITED]: 429,
  [ErrorCode.INTERNAL]: 500,
  [RelayCode.SHUTTING_DOWN]: 503,
};

/** Client errors not listed (bad keys, signatures, bodies, handles) are 400. */
export function statusForCode(code: string): number {
  return STATUS[code] ?? 400;
}
