/**
 * Field schemas shared by frames and REST bodies: identifiers, integers,
 * byte strings and text with their caps. Byte fields here are Uint8Array
 * (CBOR byte strings); rest-fields.ts wraps them as base64url text for JSON.
 */
import * as v from 'valibot';
import type { Bytes } from '../bytes.ts';
import { isCanonicalHandle } from './handle.ts';
import {
  DEVICE_ID_MAX,
  DEVICE_ID_MIN,
  DEVICE_NAME_MAX_CHARS,
  ERROR_CODE_MAX_CHARS,
  ERROR_MESSAGE_MAX_CHARS,
  HANDLE_MAX_CHARS,
  MESSAGE_BODY_MAX_BYTES,
  MESSAGE_ID_BYTES,
  PREKEY_ID_MAX,
  TIMESTAMP_MAX,
  USER_ID_CHARS,
} from './limits.ts';

/** Canonical lowercase UUID text (any version): one spelling per user. */
export const USER_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isUserId(value: unknown): value is string {
  return typeof value === 'string' && value.length === USER_ID_CHARS && USER_ID_PATTERN.test(value);
}

export function isDeviceId(value: unknown): value is number {
  return (
    Number.isSafeInteger(value) &&
    (value as number) >= DEVICE_ID_MIN &&
    (value as number) <= DEVICE_ID_MAX
  );
}

export const UserIdSchema = v.pipe(v.string(), v.length(USER_ID_CHARS), v.regex(USER_ID_PATTERN));

export const DeviceIdSchema = v.pipe(
  v.number(),
  v.safeInteger(),
  v.minValue(DEVICE_ID_MIN),
  v.maxValue(DEVICE_ID_MAX),
);

/** A non-negative safe integer no larger than `max`. */
export function uintSchema(max: number) {
  return v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(max));
}

/** Milliseconds since the Unix epoch. */
export const TimestampSchema = uintSchema(TIMESTAMP_MAX);
export const Uint32Schema = uintSchema(0xffff_ffff);
export const PrekeyIdSchema = uintSchema(PREKEY_ID_MAX);
/** Relay queue ids: positive safe integers, opaque to clients, unique per recipient device. */
export const QueueIdSchema = v.pipe(v.number(), v.safeInteger(), v.minValue(1));

const isBytes = (value: unknown): boolean => value instanceof Uint8Array;

/** A byte string of exactly `length` bytes. */
export function bytesSchema(length: number) {
  return v.pipe(v.custom<Bytes>(isBytes), v.length(length));
}

/** A byte string of `min`..`max` bytes. */
export function bytesRangeSchema(min: number, max: number) {
  return v.pipe(v.custom<Bytes>(isBytes), v.minLength(min), v.maxLength(max));
}

export const MessageIdSchema = bytesSchema(MESSAGE_ID_BYTES);
/** Ciphertext for one device (or shared by many): opaque to the relay. */
export const BodySchema = bytesRangeSchema(1, MESSAGE_BODY_MAX_BYTES);

/** Handles travel in canonical form only; normalizeHandle() is for what people type. */
export const HandleSchema = v.pipe(
  v.string(),
  v.maxLength(HANDLE_MAX_CHARS),
  v.check(isCanonicalHandle),
);

/** Stable error codes: SCREAMING_SNAKE_CASE. */
export const ErrorCodeSchema = v.pipe(
  v.string(),
  v.maxLength(ERROR_CODE_MAX_CHARS),
  v.regex(/^[A-Z][A-Z0-9_]*$/),
);
export const ErrorMessageSchema = v.pipe(v.string(), v.maxLength(ERROR_MESSAGE_MAX_CHARS));

/** Free text a person chose; no control or format characters (no bidi overrides). */
export const DeviceNameSchema = v.pipe(
  v.string(),
  v.minLength(1),
  v.maxLength(DEVICE_NAME_MAX_CHARS),
  v.regex(/^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]*$/u),
);

/**
 * Rejects arrays in which two items share a key (the same user twice in a
 * send, the same device twice for one user), pointing at the second one.
 */
export function uniqueBy<T>(key: (item: T) => unknown) {
  return v.rawCheck<T[]>(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const seen = new Set<unknown>();
    const items = dataset.value;
    for (let i = 0; i < items.length; i++) {
      const k = key(items[i] as T);
      if (seen.has(k)) {
        addIssue({
          message: 'duplicate item',
          expected: 'duplicate',
          path: [{ type: 'array', origin: 'value', input: items, key: i, value: items[i] }],
        });
        return;
      }
      seen.add(k);
    }
  });
}
