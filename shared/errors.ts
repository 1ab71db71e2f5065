/**
 * Typed errors with stable codes. Every rejection anywhere in Parley carries one
 * of these codes; messages are for people reading logs, codes and details are
 * for programs (pages render from the code and its details, never from the
 * message: docs/errors.md). Neither ever contains key material, plaintext or
 * tokens.
 *
 * Each layer owns a map of its codes; `ErrorCode` is all of them, and the
 * `ErrorCode` type (their union) is the one code type of the whole project.
 * Argument misuse by a programmer (wrong type, impossible length of a key we
 * made ourselves) is a TypeError or RangeError instead, as in noble: it is a
 * bug, not an outcome. Anything that can come from a peer's or the relay's
 * bytes is always a ParleyError with a stable code.
 */

/** shared/crypto: keys, key agreement, sessions and their messages, Sender Keys, safety numbers. */
export const CryptoCode = {
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
  // Signed device lists (docs/protocol.md, "Device list")
  /** A signed device list is malformed, breaks a rule of its format, or a signature fails. */
  DEVICE_LIST_INVALID: 'DEVICE_LIST_INVALID',
  /** A device list older than (or the same version as) the one held. */
  DEVICE_LIST_ROLLBACK: 'DEVICE_LIST_ROLLBACK',
  /** Two different device lists with the same version: sending to the account stops. */
  DEVICE_LIST_FORK: 'DEVICE_LIST_FORK',
  /** A newer device list whose hash chain does not reach the one held. */
  DEVICE_LIST_CHAIN_BROKEN: 'DEVICE_LIST_CHAIN_BROKEN',
  // Safety numbers
  FINGERPRINT_MALFORMED: 'FINGERPRINT_MALFORMED',
} as const;

/** shared/wire: encodings, identifiers, and the relay answers the wire contract names (docs/wire.md). */
export const WireCode = {
  // Arguments and encodings
  BAD_ARGUMENT: 'BAD_ARGUMENT',
  FRAME_MALFORMED: 'FRAME_MALFORMED',
  FRAME_TOO_LARGE: 'FRAME_TOO_LARGE',
  FRAME_UNKNOWN_TYPE: 'FRAME_UNKNOWN_TYPE',
  FRAME_INVALID: 'FRAME_INVALID',
  BODY_INVALID: 'BODY_INVALID',
  BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  // Identifiers and request authentication
  HANDLE_INVALID: 'HANDLE_INVALID',
  AUTH_HEADER_INVALID: 'AUTH_HEADER_INVALID',
  // Relay answers (shared/wire/http-status.ts gives their statuses)
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
  /** An attachment declared larger than the relay's configured limit; details carry `max` (413). */
  ATTACHMENT_TOO_LARGE: 'ATTACHMENT_TOO_LARGE',
  /** The account's outstanding (stored, unexpired) attachment bytes would pass its quota (507). */
  ATTACHMENT_QUOTA: 'ATTACHMENT_QUOTA',
  /**
   * A transfer blob was asked for by an account that gained no device in the
   * last hour: history goes only to a device that was just linked (403).
   */
  TRANSFER_NOT_ALLOWED: 'TRANSFER_NOT_ALLOWED',
  /** A Range header the relay cannot serve (416); details carry the chunk `length`. */
  RANGE_NOT_SATISFIABLE: 'RANGE_NOT_SATISFIABLE',
  INTERNAL: 'INTERNAL',
} as const;

/** The relay's own answers (edge/, docs/relay.md): its limits and its lifecycle. */
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
  /**
   * `DELETE /v1/devices/:device` for a device the account's signed device list
   * names: only list v+1 without it removes it (409; docs/wire.md).
   */
  DEVICE_LISTED: 'DEVICE_LISTED',
} as const;

/** shared/client (docs/client.md): the client core's own outcomes. */
export const ClientCode = {
  /** The relay could not be reached (network error, timeout, socket closed). */
  RELAY_UNREACHABLE: 'RELAY_UNREACHABLE',
  /** The relay answered something the wire contract does not allow. */
  RELAY_PROTOCOL: 'RELAY_PROTOCOL',
  /** A contact's identity key changed: sending is blocked until the user acknowledges it. */
  IDENTITY_CHANGED: 'IDENTITY_CHANGED',
  /** Writing to (or starting a chat with) a contact this user blocked: unblock first. */
  CONTACT_BLOCKED: 'CONTACT_BLOCKED',
  /**
   * A delivery from a device that is not in the sender account's signed device
   * list (docs/protocol.md, "Device list"): refused unread.
   */
  DEVICE_NOT_LISTED: 'DEVICE_NOT_LISTED',
  /** This device is no longer in its own account's device list, or the relay revoked it. */
  DEVICE_UNLINKED: 'DEVICE_UNLINKED',
  /** The client has no registered account (or already has one). */
  NOT_REGISTERED: 'NOT_REGISTERED',
  ALREADY_REGISTERED: 'ALREADY_REGISTERED',
  /** The client was stopped while the operation waited. */
  CLIENT_STOPPED: 'CLIENT_STOPPED',
  /** Decrypted message content that is not valid Parley content. */
  CONTENT_INVALID: 'CONTENT_INVALID',
  /** A passkey ceremony failed or was cancelled on the authenticator side. */
  PASSKEY_FAILED: 'PASSKEY_FAILED',
  /** Nobody on the relay has this handle; details carry the handle looked up. */
  HANDLE_NOT_FOUND: 'HANDLE_NOT_FOUND',
  /** The handle looked up (to start a chat or add to a group) is the account's own. */
  OWN_HANDLE: 'OWN_HANDLE',
  /** On a sent message: a recipient could not decrypt it and it could not be sent again. */
  NOT_DECRYPTED: 'NOT_DECRYPTED',
  // Groups (docs/client.md "Groups")
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
  // Attachments (docs/client.md "Attachments")
  /**
   * A downloaded attachment failed verification: an AEAD segment, the header,
   * the padding, the length or the SHA-256 digest does not match the pointer.
   * Whatever was already received must be discarded.
   */
  ATTACHMENT_TAMPERED: 'ATTACHMENT_TAMPERED',
  /** The relay no longer holds the attachment (expired, deleted, or never completed). */
  ATTACHMENT_EXPIRED: 'ATTACHMENT_EXPIRED',
  // Linking a device (docs/protocol.md, "Linking a device")
  /** A linking code or link string that is not well formed (a typo); nothing was sent. */
  LINK_CODE_INVALID: 'LINK_CODE_INVALID',
  /**
   * Linking did not complete; `details.reason`: `confirmation` (wrong code, or
   * a key swapped on the way), `check-code` (the typed check code differs),
   * `commitment` (a key does not match the link string), `strikes` (the code
   * is dead after three failed confirmations), `expired`, `declined`, `protocol`.
   */
  LINK_FAILED: 'LINK_FAILED',
  // Archives: history transfer and backups (docs/protocol.md "Archive")
  /** The archive's key check fails: a wrong recovery or transfer key. Nothing of the body was read. */
  ARCHIVE_WRONG_KEY: 'ARCHIVE_WRONG_KEY',
  /**
   * The archive was altered, cut, extended or replayed: a header signature,
   * segment, frame or record that does not verify. Whatever was received
   * before the failure must be discarded (an import writes nothing).
   */
  ARCHIVE_DAMAGED: 'ARCHIVE_DAMAGED',
  /** Not a Parley archive, or one of a format version this build does not read. */
  ARCHIVE_UNSUPPORTED: 'ARCHIVE_UNSUPPORTED',
  // Backups (docs/protocol.md, "Backups")
  /**
   * A typed recovery key that is not well formed; nothing was derived or sent.
   * `details.reason`: `length`, `character` (outside the alphabet), `checksum`
   * (a typo: a changed, swapped or missing character).
   */
  RECOVERY_KEY_INVALID: 'RECOVERY_KEY_INVALID',
  /**
   * The recovery key wrapped by a passkey does not open: another passkey (or
   * its PRF output), another account or credential, or altered bytes. Nothing
   * was unwrapped. `details.reason`: `format` or `authentication`.
   */
  RECOVERY_WRAP_INVALID: 'RECOVERY_WRAP_INVALID',
  /** The relay keeps no recovery key wrapped by this passkey for this account. */
  RECOVERY_WRAP_NOT_FOUND: 'RECOVERY_WRAP_NOT_FOUND',
} as const;

/** extension/ (docs/extension.md): the vault, the page ↔ worker channel, the pages' own refusals. */
export const ExtensionCode = {
  /** A message came from something other than this extension's own pages. */
  SENDER_REJECTED: 'SENDER_REJECTED',
  /** The request type is not part of the protocol map. */
  UNKNOWN_REQUEST: 'UNKNOWN_REQUEST',
  VAULT_NOT_FOUND: 'VAULT_NOT_FOUND',
  VAULT_EXISTS: 'VAULT_EXISTS',
  VAULT_LOCKED: 'VAULT_LOCKED',
  /** Wrong passphrase or wrong passkey: the vault key did not unwrap. */
  VAULT_WRONG_SECRET: 'VAULT_WRONG_SECRET',
  VAULT_METHOD_MISMATCH: 'VAULT_METHOD_MISMATCH',
  VAULT_CORRUPT: 'VAULT_CORRUPT',
  ONBOARDING_DONE: 'ONBOARDING_DONE',
  RELAY_PERMISSION_DENIED: 'RELAY_PERMISSION_DENIED',
  CONVERSATION_NOT_FOUND: 'CONVERSATION_NOT_FOUND',
  PASSKEY_CANCELLED: 'PASSKEY_CANCELLED',
  PASSKEY_UNSUPPORTED: 'PASSKEY_UNSUPPORTED',
  /** The passkey answered without a PRF output: it cannot wrap or unwrap the recovery key. */
  PASSKEY_PRF_UNSUPPORTED: 'PASSKEY_PRF_UNSUPPORTED',
  /** The page could not reach the worker at all. */
  WORKER_UNREACHABLE: 'WORKER_UNREACHABLE',
  /** Approving a link or removing a device needs a fresh passkey user verification first. */
  USER_VERIFICATION_REQUIRED: 'USER_VERIFICATION_REQUIRED',
  /** No link is running (or it is not waiting for what the page answered). */
  LINK_NOT_RUNNING: 'LINK_NOT_RUNNING',
} as const;

export type CryptoCode = (typeof CryptoCode)[keyof typeof CryptoCode];
export type WireCode = (typeof WireCode)[keyof typeof WireCode];
export type RelayCode = (typeof RelayCode)[keyof typeof RelayCode];
export type ClientCode = (typeof ClientCode)[keyof typeof ClientCode];
export type ExtensionCode = (typeof ExtensionCode)[keyof typeof ExtensionCode];

/** Every code of every layer (one name space: no two layers define the same string). */
export const ErrorCode = {
  ...CryptoCode,
  ...WireCode,
  ...RelayCode,
  ...ClientCode,
  ...ExtensionCode,
} as const;

/** The one error code type: the union of the layers' codes. */
export type ErrorCode = CryptoCode | WireCode | RelayCode | ClientCode | ExtensionCode;

/**
 * Answers that mean "try again later" rather than "this is wrong": the relay
 * is busy, draining, failed inside, or could not be reached at all. Clients
 * retry these with backoff; every other code is final.
 */
const RETRYABLE: ReadonlySet<string> = new Set<ErrorCode>([
  ErrorCode.RELAY_UNREACHABLE,
  ErrorCode.RATE_LIMITED,
  ErrorCode.INTERNAL,
  ErrorCode.SHUTTING_DOWN,
]);

/** True for codes a client retries later (see RETRYABLE); takes any string, as codes arrive from the wire. */
export function isRetryable(code: string): boolean {
  return RETRYABLE.has(code);
}

const KNOWN: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/** Narrows a code received from elsewhere (relay, worker) to one this build knows. */
export function isErrorCode(code: string): code is ErrorCode {
  return KNOWN.has(code);
}

/** Details must be plain, non-secret values (numbers, ids, field paths). */
export type ErrorDetails = Readonly<
  Record<string, string | number | boolean | readonly (string | number)[]>
>;

/**
 * Details of the codes whose details programs read (pages render from them,
 * clients act on them). Other codes carry free-form ErrorDetails.
 */
export type DetailsByCode = {
  /**
   * `path` names the offending field, `reason` says what it must be (secret-free: the
   * rule, never the value), `type` is the extension request it came in.
   */
  BODY_INVALID: { readonly path?: string; readonly reason?: string; readonly type?: string };
  HANDLE_NOT_FOUND: { readonly handle: string };
};

/**
 * The details a code carries: its entry in DetailsByCode when the code is known
 * to be one of those, free-form ErrorDetails otherwise (any code at all).
 */
export type DetailsOf<C extends string> = [C] extends [keyof DetailsByCode]
  ? DetailsByCode[C]
  : ErrorDetails;

/**
 * An error with a stable code. `C` is the code's type: a literal where the
 * code is known (`ParleyError<'HANDLE_NOT_FOUND'>` has typed details), any
 * ErrorCode by default, and `string` for codes received from a relay or
 * worker that may be newer than this build.
 */
export class ParleyError<C extends string = ErrorCode> extends Error {
  override readonly name = 'ParleyError';
  readonly code: C;
  readonly details: DetailsOf<C> | undefined;

  constructor(code: C, message: string, details?: DetailsOf<C>) {
    super(message);
    this.code = code;
    this.details = details;
  }

  toJSON(): { code: C; message: string; details?: DetailsOf<C> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function fail<C extends ErrorCode>(code: C, message: string, details?: DetailsOf<C>): never {
  throw new ParleyError(code, message, details);
}

export function isParleyError<C extends ErrorCode = ErrorCode>(
  e: unknown,
  code?: C,
): e is ParleyError<C> {
  return e instanceof ParleyError && (code === undefined || e.code === code);
}
