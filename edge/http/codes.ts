/**
 * Relay-side vocabulary of errors: the reasons of AUTH_FAILED. The codes
 * themselves (the relay's own are `RelayCode`) and their HTTP statuses are
 * shared with clients: shared/errors.ts and shared/wire/http-status.ts.
 */

/** `details.reason` of AUTH_FAILED: what failed, for clients, tests and the audit log. */
export const AuthFailure = {
  TOKEN: 'token',
  CHALLENGE: 'challenge',
  PASSKEY: 'passkey',
  COUNTER: 'counter',
  SIGNATURE: 'signature',
  UNKNOWN_DEVICE: 'unknown-device',
  TIMEOUT: 'timeout',
  /** A backup request signed by a key other than the one pinned to its backup id. */
  BACKUP_KEY: 'backup-key',
} as const;
export type AuthFailure = (typeof AuthFailure)[keyof typeof AuthFailure];
