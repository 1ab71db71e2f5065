/**
 * The one mapping from a stable error code to an HTTP status (the socket sends
 * the same codes in error frames). Codes come from shared/errors.ts; the few
 * the wire contract does not name yet live in `RelayCode` below.
 *
 * TEMPORARY: `RelayCode` belongs in shared/errors.ts (owned by the wire
 * format); when codes with the same strings land there, import them instead.
 */
import { httpStatusFor } from '../../shared/wire/http-status.ts';

export const RelayCode = {
  /** A send addressed a stale device list; details carry missing/extra/stale ids (409). */
  DEVICE_MISMATCH: 'DEVICE_MISMATCH',
  /** The device already holds the maximum number of one-time prekeys (409). */
  PREKEY_LIMIT: 'PREKEY_LIMIT',
  /** The relay is draining for shutdown (503). */
  SHUTTING_DOWN: 'SHUTTING_DOWN',
  /**
   * A recipient device already has the maximum number (or bytes) of queued
   * copies; nothing of the send was stored (507). Not retried by clients: the
   * message shows failed.
   */
  QUEUE_FULL: 'QUEUE_FULL',
  /** The relay's database is above its storage watermark; nothing was stored (507). */
  STORAGE_FULL: 'STORAGE_FULL',
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

const RELAY_STATUS: Readonly<Record<string, number>> = {
  [RelayCode.DEVICE_MISMATCH]: 409,
  [RelayCode.PREKEY_LIMIT]: 409,
  [RelayCode.SHUTTING_DOWN]: 503,
  [RelayCode.QUEUE_FULL]: 507,
  [RelayCode.STORAGE_FULL]: 507,
};

/** Shared mapping first (shared/wire/http-status.ts); unlisted codes are server faults (500). */
export function statusForCode(code: string): number {
  return Object.hasOwn(RELAY_STATUS, code) ? (RELAY_STATUS[code] as number) : httpStatusFor(code);
}
