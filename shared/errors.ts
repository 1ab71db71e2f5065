/**
 * Typed errors with stable codes. Every rejection anywhere in Parley carries one
 * of these codes; messages are for people, codes are for programs. Neither ever
 * contains key material, plaintext or tokens.
 */

export const ErrorCode = {
  // Arguments and encodings
  BAD_ARGUMENT: 'BAD_ARGUMENT',
  // Keys
  KEY_LENGTH: 'KEY_LENGTH',
  KEY_TYPE: 'KEY_TYPE',
  KEY_LOW_ORDER: 'KEY_LOW_ORDER',
  KEY_ZERO_SHARED_SECRET: 'KEY_ZERO_SHARED_SECRET',
  KEY_INVALID: 'KEY_INVALID',
  SIGNATURE_INVALID: 'SIGNATURE_INVALID',
  // Session setup
  PREKEY_MISSING: 'PREKEY_MISSING',
  PREKEY_REPLAY: 'PREKEY_REPLAY',
  IDENTITY_MISMATCH: 'IDENTITY_MISMATCH',
  // Messages
  MESSAGE_MALFORMED: 'MESSAGE_MALFORMED',
  MESSAGE_VERSION: 'MESSAGE_VERSION',
  MESSAGE_TYPE: 'MESSAGE_TYPE',
  DECRYPT_FAILED: 'DECRYPT_FAILED',
  DUPLICATE_MESSAGE: 'DUPLICATE_MESSAGE',
  TOO_MANY_SKIPPED: 'TOO_MANY_SKIPPED',
  MESSAGE_KEY_EXPIRED: 'MESSAGE_KEY_EXPIRED',
  SESSION_NOT_FOUND: 'SESSION_NOT_FOUND',
  STATE_CORRUPT: 'STATE_CORRUPT',
  STATE_VERSION: 'STATE_VERSION',
  PADDING_INVALID: 'PADDING_INVALID',
  // Groups
  SENDER_KEY_MISSING: 'SENDER_KEY_MISSING',
  /** A group state is malformed, breaks an invariant, or does not follow its parent. */
  GROUP_STATE_INVALID: 'GROUP_STATE_INVALID',
  /** The author's role does not allow this group change (docs/protocol.md permission table). */
  GROUP_FORBIDDEN: 'GROUP_FORBIDDEN',
  /** A group state older than (or losing against) the one we hold. */
  GROUP_STALE: 'GROUP_STALE',
  /** A group state we have seen before. */
  GROUP_REPLAY: 'GROUP_REPLAY',
  /** The group is unknown here, or we (or the sender) are not a member. */
  GROUP_NOT_MEMBER: 'GROUP_NOT_MEMBER',
  /** A group state body of a format this client no longer accepts (format 1: no creator binding). */
  GROUP_STATE_VERSION: 'GROUP_STATE_VERSION',
  /** A state that adds us came without the chain from the group's first state that proves it. */
  GROUP_HISTORY_MISSING: 'GROUP_HISTORY_MISSING',
  /** The group's history no longer fits in an invitation: nobody can be added (docs/protocol.md). */
  GROUP_HISTORY_TOO_LONG: 'GROUP_HISTORY_TOO_LONG',
  /** A new admin's identity key is unknown here (no session with them yet). */
  GROUP_KEY_UNKNOWN: 'GROUP_KEY_UNKNOWN',
  // Safety numbers
  FINGERPRINT_MALFORMED: 'FINGERPRINT_MALFORMED',
  // Wire
  FRAME_MALFORMED: 'FRAME_MALFORMED',
  FRAME_TOO_LARGE: 'FRAME_TOO_LARGE',
  FRAME_UNKNOWN_TYPE: 'FRAME_UNKNOWN_TYPE',
  FRAME_INVALID: 'FRAME_INVALID',
  BODY_INVALID: 'BODY_INVALID',
  BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  // Wire: identifiers and request authentication (docs/wire.md)
  HANDLE_INVALID: 'HANDLE_INVALID',
  AUTH_HEADER_INVALID: 'AUTH_HEADER_INVALID',
  // Relay answers named by the wire contract (docs/wire.md lists status codes)
  AUTH_REQUIRED: 'AUTH_REQUIRED',
  AUTH_FAILED: 'AUTH_FAILED',
  /** A management route (device removal, blocks, prekey upload) was signed with the device key. */
  MANAGEMENT_KEY_REQUIRED: 'MANAGEMENT_KEY_REQUIRED',
  /**
   * A `send` on a socket authenticated by the device key alone: writing to
   * others needs the identity key's `unlock` proof first (docs/wire.md).
   */
  SEND_NOT_ALLOWED: 'SEND_NOT_ALLOWED',
  REQUEST_EXPIRED: 'REQUEST_EXPIRED',
  REQUEST_REPLAYED: 'REQUEST_REPLAYED',
  RATE_LIMITED: 'RATE_LIMITED',
  NOT_FOUND: 'NOT_FOUND',
  HANDLE_TAKEN: 'HANDLE_TAKEN',
  DEVICE_EXISTS: 'DEVICE_EXISTS',
  DEVICE_LIMIT: 'DEVICE_LIMIT',
  EXPIRES_AT_INVALID: 'EXPIRES_AT_INVALID',
  ATTACHMENT_INVALID: 'ATTACHMENT_INVALID',
  INTERNAL: 'INTERNAL',
  // Client core (shared/client/, docs/client.md)
  /** The relay could not be reached (network error, timeout, socket closed). */
  RELAY_UNREACHABLE: 'RELAY_UNREACHABLE',
  /** The relay answered something the wire contract does not allow. */
  RELAY_PROTOCOL: 'RELAY_PROTOCOL',
  /** A contact's identity key changed: sending is blocked until the user acknowledges it. */
  IDENTITY_CHANGED: 'IDENTITY_CHANGED',
  /** Writing to a contact this user blocked: unblock first. */
  CONTACT_BLOCKED: 'CONTACT_BLOCKED',
  /** The client has no registered account (or already has one). */
  NOT_REGISTERED: 'NOT_REGISTERED',
  ALREADY_REGISTERED: 'ALREADY_REGISTERED',
  /** The client was stopped while the operation waited. */
  CLIENT_STOPPED: 'CLIENT_STOPPED',
  /** Decrypted message content that is not valid Parley content. */
  CONTENT_INVALID: 'CONTENT_INVALID',
  /** A passkey ceremony failed or was cancelled on the authenticator side. */
  PASSKEY_FAILED: 'PASSKEY_FAILED',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Details must be plain, non-secret values (numbers, ids, field paths). */
export type ErrorDetails = Readonly<
  Record<string, string | number | boolean | readonly (string | number)[]>
>;

export class ParleyError extends Error {
  override readonly name = 'ParleyError';
  readonly code: string;
  readonly details: ErrorDetails | undefined;

  constructor(code: string, message: string, details?: ErrorDetails) {
    super(message);
    this.code = code;
    this.details = details;
  }

  toJSON(): { code: string; message: string; details?: ErrorDetails } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function fail(code: ErrorCode, message: string, details?: ErrorDetails): never {
  throw new ParleyError(code, message, details);
}

export function isParleyError(e: unknown, code?: string): e is ParleyError {
  return e instanceof ParleyError && (code === undefined || e.code === code);
}
