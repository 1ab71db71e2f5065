/**
 * The plain shape errors take on their way from the worker to a page, and the
 * sentences people read: written from the code and its details, never from the
 * message (docs/errors.md). The extension's codes are a layer of
 * shared/errors.ts.
 * Messages never contain secrets, plaintext or key material.
 *
 * Runs in: pages and the service worker.
 */

import {
  type DetailsOf,
  ErrorCode,
  type ErrorDetails,
  ExtensionCode,
  isParleyError,
  ParleyError,
} from '../../shared/errors.ts';
import { formatBytes } from './attachments/files.ts';

/** The extension's own codes (shared/errors.ts `ExtensionCode`, one layer of `ErrorCode`). */
export const ExtErrorCode = ExtensionCode;
export type ExtErrorCode = ExtensionCode;

/** How an error travels in a response: code, a human sentence, optional plain details. */
export interface WireError {
  readonly code: string;
  readonly message: string;
  readonly details?: ErrorDetails;
}

export type RpcResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: WireError };

/** A ParleyError raised in the extension (its own codes, or a shared code it found out itself). */
export function extError<C extends ErrorCode>(
  code: C,
  message: string,
  details?: DetailsOf<C>,
): ParleyError<C> {
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

/** The code may be one this build does not know (a newer worker): it stays a string. */
export function fromWireError(w: WireError): ParleyError<string> {
  return new ParleyError(w.code, w.message, w.details);
}

export function errorCode(e: unknown): string {
  return e instanceof ParleyError ? e.code : ErrorCode.INTERNAL;
}

/** How pages name the fields of their requests (request field paths, requests/fields.ts). */
const FIELD_NAMES: Readonly<Record<string, string>> = {
  relayUrl: 'The relay address',
  handle: 'The handle',
  text: 'The message',
  name: 'The name',
  passphrase: 'The passphrase',
};

/** "The relay address must use https …": the field and the rule from BODY_INVALID's details. */
function invalidInput(details: DetailsOf<'BODY_INVALID'> | undefined): string {
  if (details?.reason === undefined) return 'That input is not valid.';
  const field =
    details.path === undefined || details.path === ''
      ? 'That input'
      : (FIELD_NAMES[details.path] ?? `The field “${details.path}”`);
  return `${field} ${details.reason}.`;
}

/**
 * The sentence a person sees for an error; written for people from the stable
 * code and its details, never from the message (which is for logs).
 */
export function describeError(e: unknown): string {
  const code = errorCode(e);
  switch (code) {
    case ErrorCode.BODY_INVALID:
      return invalidInput(isParleyError(e, ErrorCode.BODY_INVALID) ? e.details : undefined);
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
    case ErrorCode.RELAY_UNREACHABLE:
      return 'The relay could not be reached. Check the address and that it is running.';
    case ExtErrorCode.RELAY_PERMISSION_DENIED:
      return 'Parley needs permission to talk to that relay.';
    case ErrorCode.HANDLE_TAKEN:
      return 'That handle is already taken. Try another one.';
    case ErrorCode.HANDLE_INVALID:
      return 'Handles are 3–32 lowercase letters, digits, _ or ., starting with a letter or digit.';
    case ErrorCode.RATE_LIMITED:
      return 'The relay asked Parley to slow down. Try again in a moment.';
    case ErrorCode.HANDLE_NOT_FOUND: {
      const handle = isParleyError(e, ErrorCode.HANDLE_NOT_FOUND) ? e.details?.handle : undefined;
      return handle === undefined
        ? 'Nobody with that handle is on this relay.'
        : `Nobody called @${handle} is on this relay.`;
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
    case ErrorCode.OWN_HANDLE:
      return 'That is your own handle. Enter the handle of the person you want to write to.';
    case ErrorCode.IDENTITY_CHANGED:
      return "This contact's safety number changed. Review it before sending.";
    case ExtErrorCode.CONVERSATION_NOT_FOUND:
      return 'That conversation no longer exists.';
    case ExtErrorCode.PASSKEY_CANCELLED:
      return 'The passkey dialog was closed before it finished. Try again when you are ready.';
    case ExtErrorCode.PASSKEY_UNSUPPORTED:
      return 'This browser cannot create passkeys here.';
    case ErrorCode.PASSKEY_FAILED:
      return 'The passkey could not be used. Try again, or try another authenticator.';
    case ExtErrorCode.WORKER_UNREACHABLE:
      return 'Parley’s background service is not responding. Try again in a moment.';
    case ExtErrorCode.SENDER_REJECTED:
      return 'Request refused.';
    case ExtErrorCode.USER_VERIFICATION_REQUIRED:
      return 'Confirm with your passkey first, then try again.';
    case ExtErrorCode.LINK_NOT_RUNNING:
      return 'That link is no longer running. Start again.';
    case ErrorCode.LINK_CODE_INVALID:
      return 'That is not a link code. It looks like ABCD-EFGH-JKLM (letters and digits).';
    case ErrorCode.ATTACHMENT_TOO_LARGE: {
      // The relay names its limit (it may be lower than Parley's default).
      const max = isParleyError(e, ErrorCode.ATTACHMENT_TOO_LARGE) ? e.details?.max : undefined;
      return typeof max === 'number' && max > 0
        ? `That file is larger than this relay accepts (at most ${formatBytes(max)}).`
        : 'That file is larger than the relay accepts.';
    }
    case ErrorCode.ATTACHMENT_QUOTA:
      return 'You have sent as many files as the relay allows for now. Try again later.';
    case ErrorCode.ATTACHMENT_EXPIRED:
      return 'This file has expired: the relay no longer has it.';
    case ErrorCode.ATTACHMENT_TAMPERED:
      return 'This file did not arrive intact (it was changed or cut short), so Parley discarded it.';
    default:
      return describeBackupError(e) ?? 'Something went wrong. Try again.';
  }
}

/**
 * Backups and restore (docs/extension.md, "Backups"): a mistyped key, a key
 * that opens nothing and a damaged file each get their own sentence, so
 * nobody retypes a right key because a file was cut short.
 */
function describeBackupError(e: unknown): string | undefined {
  const details = e instanceof ParleyError ? (e.details as ErrorDetails | undefined) : undefined;
  switch (errorCode(e)) {
    case ErrorCode.RECOVERY_KEY_INVALID:
      return details?.reason === 'length'
        ? 'A recovery key has 56 letters and digits. Check that you typed all of it.'
        : 'That recovery key has a typo: its check characters do not match. Compare it with your copy, group by group.';
    case ErrorCode.ARCHIVE_WRONG_KEY:
      return 'This recovery key does not open this backup. Check that it is the key of this account.';
    case ErrorCode.ARCHIVE_DAMAGED:
      return 'The backup is damaged (changed or cut short), so nothing was restored. Try another backup file, or the relay’s copy.';
    case ErrorCode.ARCHIVE_UNSUPPORTED:
      return 'This backup was made by a newer Parley. Update Parley and try again.';
    case ErrorCode.RECOVERY_WRAP_NOT_FOUND:
      return 'This passkey was not set up to restore backups. Type your recovery key instead.';
    case ErrorCode.RECOVERY_WRAP_INVALID:
      return 'This passkey does not open the recovery key kept on the relay. Type your recovery key instead.';
    case ErrorCode.PASSKEY_PRF_UNSUPPORTED:
      return 'This passkey or browser cannot restore backups by itself. Type your recovery key instead.';
    case ErrorCode.NOT_FOUND:
      return details?.what === 'snapshot'
        ? 'The relay has no backup of this account for this recovery key. Check the key, or restore from a backup file.'
        : details?.what === 'backup'
          ? 'Backups are off.'
          : undefined;
    default:
      return undefined;
  }
}
