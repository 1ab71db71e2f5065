/**
 * REST bodies to values and back. Schemas take the JSON shape (bytes as
 * base64url text) and output the byte shape (Uint8Array), so
 *   parseRestBody(schema, raw)        raw JSON text/bytes -> byte shape
 *   serializeRestBody(schema, value)  byte shape -> JSON text (checked)
 *   toJsonShape(value)                byte shape -> JSON shape (no checks)
 * Errors: BODY_TOO_LARGE (size cap, checked first), BODY_INVALID (not UTF-8,
 * not JSON, or fails the schema: details carry path and reason, never values).
 */
import * as v from 'valibot';
import { toBase64Url } from '../bytes.ts';
import { ErrorCode, ParleyError } from '../errors.ts';
import { summarizeIssue } from './issues.ts';
import { REST_BODY_MAX_BYTES } from './limits.ts';

/** The JSON form of a byte-shape type: every Uint8Array becomes base64url text. */
export type JsonShape<T> = T extends Uint8Array
  ? string
  : T extends readonly (infer U)[]
    ? JsonShape<U>[]
    : T extends object
      ? { [K in keyof T]: JsonShape<T[K]> }
      : T;

export interface BodyLimits {
  /** Default REST_BODY_MAX_BYTES; clients reading responses pass REST_RESPONSE_MAX_BYTES. */
  readonly maxBytes?: number;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

function tooLarge(size: number, max: number): ParleyError {
  return new ParleyError(
    ErrorCode.BODY_TOO_LARGE,
    `Body of ${size} bytes exceeds the ${max}-byte limit`,
    {
      size,
      max,
    },
  );
}

function invalid(reason: string, path = ''): ParleyError {
  const where = path === '' ? '' : ` field ${path}`;
  return new ParleyError(ErrorCode.BODY_INVALID, `Invalid body:${where} (${reason})`, {
    path,
    reason,
  });
}

/** Checks an already-parsed JSON value against a schema; returns the byte shape. */
export function validateRestValue<S extends v.GenericSchema>(
  schema: S,
  value: unknown,
): v.InferOutput<S> {
  const result = v.safeParse(schema, value, { abortEarly: true });
  if (!result.success) {
    const { path, reason } = summarizeIssue(result.issues[0]);
    throw invalid(reason, path);
  }
  return result.output;
}

/** Raw request (or response) body -> validated byte-shape value. */
export function parseRestBody<S extends v.GenericSchema>(
  schema: S,
  raw: string | Uint8Array,
  limits: BodyLimits = {},
): v.InferOutput<S> {
  const max = limits.maxBytes ?? REST_BODY_MAX_BYTES;
  let text: string;
  if (typeof raw === 'string') {
    // Every UTF-16 unit is at least one UTF-8 byte: a long string is too large before encoding it.
    if (raw.length > max) throw tooLarge(raw.length, max);
    const size = utf8Encoder.encode(raw).length;
    if (size > max) throw tooLarge(size, max);
    text = raw;
  } else if (raw instanceof Uint8Array) {
    if (raw.length > max) throw tooLarge(raw.length, max);
    try {
      text = strictUtf8.decode(raw);
    } catch {
      throw invalid('not UTF-8');
    }
  } else {
    throw invalid('not a body');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid('not JSON');
  }
  return validateRestValue(schema, value);
}

/** Byte shape -> JSON shape: Uint8Array to unpadded base64url, recursively. */
export function toJsonShape<T>(value: T): JsonShape<T> {
  return convert(value, 0) as JsonShape<T>;
}

function convert(value: unknown, depth: number): unknown {
  if (depth > 16) throw new ParleyError(ErrorCode.BODY_INVALID, 'Invalid body: nested too deeply');
  if (value instanceof Uint8Array) return toBase64Url(value);
  if (Array.isArray(value)) return value.map((item) => convert(item, depth + 1));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) out[key] = convert(item, depth + 1);
    }
    return out;
  }
  return value;
}

/**
 * Byte shape -> JSON text, after checking it against the schema (so a sender
 * learns of a bad body before the relay does) and the size cap.
 */
export function serializeRestBody<S extends v.GenericSchema>(
  schema: S,
  value: v.InferOutput<S>,
  limits: BodyLimits = {},
): string {
  const json = toJsonShape(value);
  validateRestValue(schema, json);
  const text = JSON.stringify(json);
  const max = limits.maxBytes ?? REST_BODY_MAX_BYTES;
  const size = utf8Encoder.encode(text).length;
  if (size > max) throw tooLarge(size, max);
  return text;
}
