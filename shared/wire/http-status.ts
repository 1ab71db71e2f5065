/**
 * The one mapping from error codes to HTTP statuses, shared so the relay's
 * error handler and clients agree. Codes not listed are server faults (500):
 * every code a client can cause must be listed here on purpose.
 */
import { ErrorCode } from '../errors.ts';

export const HTTP_STATUS_BY_CODE: Readonly<Record<string, number>> = {
  // The request itself
  [ErrorCode.BODY_INVALID]: 400,
  [ErrorCode.BODY_TOO_LARGE]: 413,
  [ErrorCode.BAD_ARGUMENT]: 400,
  [ErrorCode.HANDLE_INVALID]: 400,
  [ErrorCode.EXPIRES_AT_INVALID]: 400,
  [ErrorCode.ATTACHMENT_INVALID]: 400,
  [ErrorCode.ATTACHMENT_TOO_LARGE]: 413,
  [ErrorCode.RANGE_NOT_SATISFIABLE]: 416,
  // Keys and signatures in uploaded material (shared/crypto validators)
  [ErrorCode.KEY_LENGTH]: 400,
  [ErrorCode.KEY_TYPE]: 400,
  [ErrorCode.KEY_LOW_ORDER]: 400,
  [ErrorCode.KEY_INVALID]: 400,
  [ErrorCode.SIGNATURE_INVALID]: 400,
  // Who is asking
  [ErrorCode.AUTH_REQUIRED]: 401,
  [ErrorCode.AUTH_FAILED]: 401,
  [ErrorCode.AUTH_HEADER_INVALID]: 401,
  [ErrorCode.MANAGEMENT_KEY_REQUIRED]: 403,
  [ErrorCode.TRANSFER_NOT_ALLOWED]: 403,
  [ErrorCode.REQUEST_EXPIRED]: 401,
  [ErrorCode.REQUEST_REPLAYED]: 401,
  // State on the relay
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.HANDLE_TAKEN]: 409,
  [ErrorCode.DEVICE_EXISTS]: 409,
  [ErrorCode.DEVICE_LIMIT]: 409,
  [ErrorCode.IDENTITY_MISMATCH]: 409,
  [ErrorCode.PREKEY_LIMIT]: 409,
  [ErrorCode.DEVICE_MISMATCH]: 409,
  [ErrorCode.DEVICE_LIST_INVALID]: 400,
  [ErrorCode.DEVICE_LIST_ROLLBACK]: 409,
  [ErrorCode.DEVICE_LIST_FORK]: 409,
  [ErrorCode.DEVICE_LIST_CHAIN_BROKEN]: 409,
  [ErrorCode.DEVICE_LISTED]: 409,
  [ErrorCode.RATE_LIMITED]: 429,
  [ErrorCode.QUEUE_FULL]: 507,
  [ErrorCode.STORAGE_FULL]: 507,
  [ErrorCode.ATTACHMENT_QUOTA]: 507,
  // The relay itself
  [ErrorCode.INTERNAL]: 500,
  [ErrorCode.SHUTTING_DOWN]: 503,
};

export function httpStatusFor(code: string): number {
  return Object.hasOwn(HTTP_STATUS_BY_CODE, code) ? (HTTP_STATUS_BY_CODE[code] as number) : 500;
}
