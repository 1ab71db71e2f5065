/**
 * Field checks shared by the key validators (identity, device certificate,
 * prekeys): each failure is a ParleyError with a stable code and
 * `details.field` naming what failed, which is what the relay reports on a
 * rejected upload.
 */
import type { Bytes } from '../bytes.ts';
import { ErrorCode, isParleyError, ParleyError } from '../errors.ts';
import {
  ED25519_SIGNATURE_BYTES,
  signedPayload,
  validateEd25519Public,
  verify,
} from './ed25519.ts';
import { validateX25519Public } from './x25519.ts';

/** Prekey and device ids are unsigned 32-bit integers. */
export const MAX_KEY_ID = 0xffffffff;

export function invalid(code: ErrorCode, field: string, reason: string): never {
  throw new ParleyError(code, `Invalid ${field}: ${reason}`, { field });
}

/** Re-throws a primitive's ParleyError with the field that failed added to its details. */
export function inField<T>(field: string, check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (isParleyError(e))
      throw new ParleyError(e.code, `Invalid ${field}: ${e.message}`, { ...e.details, field });
    throw e;
  }
}

export function checkId(id: unknown, field: string): number {
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > MAX_KEY_ID) {
    invalid(ErrorCode.BAD_ARGUMENT, field, 'must be an integer in [0, 2^32)');
  }
  return id;
}

export function checkTimestamp(t: unknown, field: string): number {
  if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0) {
    invalid(ErrorCode.BAD_ARGUMENT, field, 'must be a non-negative integer (ms since epoch)');
  }
  return t;
}

export function checkBytes(value: unknown, field: string): Uint8Array {
  if (!(value instanceof Uint8Array)) invalid(ErrorCode.BAD_ARGUMENT, field, 'expected bytes');
  return value;
}

export function checkX25519(value: unknown, field: string): Bytes {
  const bytes = checkBytes(value, field);
  return inField(field, () => validateX25519Public(bytes, field)) as Bytes;
}

export function checkEd25519(value: unknown, field: string): Bytes {
  const bytes = checkBytes(value, field);
  return inField(field, () => validateEd25519Public(bytes, field)) as Bytes;
}

/** A typed key's `kind` must be the one its slot expects (KEY_TYPE otherwise). */
export function checkKind(value: { readonly kind?: unknown }, kind: string, field: string): void {
  if (value.kind !== kind)
    invalid(ErrorCode.KEY_TYPE, field, `expected a ${kind}, got ${String(value.kind)}`);
}

export interface SignatureCheck {
  readonly field: string;
  readonly signer: Uint8Array;
  readonly signature: unknown;
  readonly context: string;
  readonly fields: readonly Uint8Array[];
}

/**
 * Verifies all signatures concurrently, then reports the first failure in list
 * order, so the error does not depend on which verification finished first.
 */
export function checkSignatures(checks: readonly SignatureCheck[]): Promise<void> {
  for (const c of checks) {
    const sig = checkBytes(c.signature, c.field);
    if (sig.length !== ED25519_SIGNATURE_BYTES) {
      invalid(
        ErrorCode.SIGNATURE_INVALID,
        c.field,
        `expected ${ED25519_SIGNATURE_BYTES} bytes, got ${sig.length}`,
      );
    }
  }
  const pending = checks.map((c) =>
    verify(c.signer, c.signature as Uint8Array, signedPayload(c.context, ...c.fields)),
  );
  return Promise.all(pending).then((results) => {
    results.forEach((ok, i) => {
      const c = checks[i];
      if (!ok && c !== undefined)
        invalid(ErrorCode.SIGNATURE_INVALID, c.field, 'signature does not verify');
    });
  });
}
