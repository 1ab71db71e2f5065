/**
 * Error codes the extension adds to `shared/errors.ts`, the plain shape errors
 * take on their way from the worker to a page, and the sentences people read.
 * Messages never contain secrets, plaintext or key material.
 *
 * Runs in: pages and the service worker.
 */
import { ErrorCode, type ErrorDetails, ParleyError } from '../../shared/errors.ts';

export const ExtErrorCode = {
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
  RELAY_UNREACHABLE: 'RELAY_UNREACHABLE',
  RELAY_PERMISSION_DENIED: 'RELAY_PERMISSION_DENIED',
  HANDLE_NOT_FOUND: 'HANDLE_NOT_FOUND',
  /** "Start a chat" with one's own handle. */
  OWN_HANDLE: 'OWN_HANDLE',
  /** Sending is blocked until the user acknowledges a contact's new identity key. */
  IDENTITY_CHANGED: 'IDENTITY_CHANGED',
  CONVERSATION_NOT_FOUND: 'CONVERSATION_NOT_FOUND',
  PASSKEY_CANCELLED: 'PASSKEY_CANCELLED',
  PASSKEY_UNSUPPORTED: 'PASSKEY_UNSUPPORTED',
  PASSKEY_FAILED: 'PASSKEY_FAILED',
  /** The page could not reach the worker at all. */
  WORKER_UNREACHABLE: 'WORKER_UNREACHABLE',
} as const;

export type ExtErrorCode = (typeof ExtErrorCode)[keyof typeof ExtErrorCode];

/** How an error travels in a response: code, a human sentence, optional plain details. */
export interface WireError {
  readonly code: string;
  readonly message: string;
  readonly details?: ErrorDetails;
}

export type RpcResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: WireError };

export function extError(code: ExtErrorCode, message: string, details?: ErrorDetails): ParleyError {
  return new ParleyError(code, message, details);
}

/**
 * Turns anything thrown in the worker into a WireError. Only ParleyErrors keep
 * their message: anything else may carry internal detail, so it becomes a
 * generic INTERNAL error.
 */
export function toWireError(e: unknown): WireError {
  if (e instanceof ParleyError) {
    return e.details === undefined
      ? { code: e.code, message: e.message }
      : { code: e.code, message: e.message, details: e.details };
  }
  return { code: ErrorCode.INTERNAL, message: 'Something went wrong inside Parley' };
}

export function fromWireError(w: WireError): ParleyError {
  return new ParleyError(w.code, w.message, w.details);
}

export function errorCode(e: unknown): string {
  return e instanceof ParleyError ? e.code : ErrorCode.INTERNAL;
}

/** The sentence a person sees for an error; written for people, keyed by stable code. */
export function describeError(e: unknown): string {
  const code = errorCode(e);
  switch (code) {
    case ErrorCode.BODY_INVALID:
      return e instanceof ParleyError ? e.message : 'That input is not valid.';
    case ExtErrorCode.VAULT_WRONG_SECRET:
      return 'That did not unlock Parley. Check the passphrase or use the passkey you signed up with.';
    case ExtErrorCode.VAULT_LOCKED:
      return 'Parley is locked. Unlock it to continue.';
    case ExtErrorCode.VAULT_NOT_FOUND:
      return 'Parley is not set up on this browser yet.';
    case ExtErrorCode.VAULT_EXISTS:
      return 'Parley is already set up on this browser.';
    case ExtErrorCode.VAULT_METHOD_MISMATCH:
      return 'This vault is unlocked a different way.';
    case ExtErrorCode.VAULT_CORRUPT:
      return 'The local vault is damaged and cannot be opened.';
    case ExtErrorCode.ONBOARDING_DONE:
      return 'This browser already has a Parley account.';
    case ExtErrorCode.RELAY_UNREACHABLE:
      return 'The relay could not be reached. Check the address and that it is running.';
    case ExtErrorCode.RELAY_PERMISSION_DENIED:
      return 'Parley needs permission to talk to that relay.';
    case ErrorCode.HANDLE_TAKEN:
      return 'That handle is already taken. Try another one.';
    case ErrorCode.HANDLE_INVALID:
      return 'Handles are 3–32 lowercase letters, digits, _ or ., starting with a letter or digit.';
    case ErrorCode.RATE_LIMITED:
      return 'The relay asked Parley to slow down. Try again in a moment.';
    case ExtErrorCode.HANDLE_NOT_FOUND: {
      const handle = e instanceof ParleyError ? e.details?.handle : undefined;
      return typeof handle === 'string'
        ? `Nobody called @${handle} is on this relay.`
        : 'Nobody with that handle is on this relay.';
    }
    case ErrorCode.GROUP_FORBIDDEN:
      return 'Your role in this group does not allow that.';
    case ErrorCode.GROUP_NOT_MEMBER:
      return 'You are no longer a member of this group.';
    case ErrorCode.GROUP_STATE_INVALID:
      return 'That change would make the group invalid.';
    case ErrorCode.GROUP_HISTORY_TOO_LONG:
      return 'This group has changed too often for anyone new to verify it. Start a new group to add people.';
    case ErrorCode.GROUP_KEY_UNKNOWN:
      return 'Exchange a message with this person first, so Parley knows their key before making them an admin.';
    case ErrorCode.CONTACT_BLOCKED:
      return 'You blocked this contact. Unblock them to write to them.';
    case ExtErrorCode.OWN_HANDLE:
      return 'That is your own handle. Enter the handle of the person you want to write to.';
    case ExtErrorCode.IDENTITY_CHANGED:
      return "This contact's safety number changed. Review it before sending.";
    case ExtErrorCode.CONVERSATION_NOT_FOUND:
      return 'That conversation no longer exists.';
    case ExtErrorCode.PASSKEY_CANCELLED:
      return 'The passkey dialog was closed before it finished. Try again when you are ready.';
    case ExtErrorCode.PASSKEY_UNSUPPORTED:
      return 'This browser cannot create passkeys here.';
    case ExtErrorCode.PASSKEY_FAILED:
      return 'The passkey could not be used. Try again, or try another authenticator.';
    case ExtErrorCode.WORKER_UNREACHABLE:
      return 'Parley’s background service is not responding. Try again in a moment.';
    case ExtErrorCode.SENDER_REJECTED:
      return 'Request refused.';
    default:
      return 'Something went wrong. Try again.';
  }
}
