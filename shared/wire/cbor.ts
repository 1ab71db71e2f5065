/**
 * Parley's CBOR profile and its codec (cbor-x underneath).
 *
 * Frames use a small subset of CBOR (RFC 8949): unsigned and negative
 * integers, byte strings, UTF-8 text strings, arrays, maps with unique text
 * keys of at most 32 bytes, false/true/null. No tags, no floats, no undefined, no other simple
 * values, no indefinite lengths. cbor-x on its own decodes dozens of tags into
 * Dates, Sets, Maps, typed arrays, shared references (cycles), records and
 * Errors; rather than trust a configuration of it, `scanProfile` walks the raw
 * bytes first (iteratively: no recursion for an attacker to exhaust) and
 * rejects anything outside the profile. Only then does cbor-x build values.
 *
 * Encoding is deterministic (RFC 8949 §4.2.1 core rules): shortest heads,
 * definite lengths, map keys sorted by length then bytewise, integers always
 * as CBOR integers (cbor-x alone writes integers above 2^32 as float64).
 */
import { Decoder, Encoder } from 'cbor-x';
import type { Bytes } from '../bytes.ts';
import { ErrorCode, ParleyError } from '../errors.ts';
import {
  CBOR_MAX_ARRAY_ITEMS,
  CBOR_MAX_DEPTH,
  CBOR_MAX_KEY_BYTES,
  CBOR_MAX_MAP_ENTRIES,
} from './limits.ts';

/** Values of the profile after decoding. */
export type CborValue =
  | number
  | string
  | boolean
  | null
  | Bytes
  | CborValue[]
  | { [key: string]: CborValue };

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function malformed(reason: string, offset?: number): ParleyError {
  return new ParleyError(
    ErrorCode.FRAME_MALFORMED,
    `Cannot decode frame: ${reason}`,
    offset === undefined ? { reason } : { reason, offset },
  );
}

function isAscii(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if ((bytes[i] as number) > 0x7f) return false;
  return true;
}

function sameRange(bytes: Uint8Array, a: number, b: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (bytes[a + i] !== bytes[b + i]) return false;
  return true;
}

interface Container {
  /** Items still to read (a map counts keys and values separately). */
  remaining: number;
  /** For maps: start offset and length of each key read so far, flattened. */
  readonly keys: number[] | undefined;
}

/**
 * Throws FRAME_MALFORMED unless `bytes` is exactly one well-formed item of
 * Parley's profile whose top level is a map.
 */
export function scanProfile(bytes: Uint8Array): void {
  const end = bytes.length;
  if (end === 0) throw malformed('empty input');
  if (bytes[0] !== undefined && bytes[0] >> 5 !== 5) throw malformed('top level is not a map', 0);
  const stack: Container[] = [];
  let pos = 0;
  do {
    if (pos >= end) throw malformed('truncated', pos);
    const start = pos;
    const initial = bytes[pos++] as number;
    const major = initial >> 5;
    const info = initial & 0x1f;
    let arg: number;
    if (info < 24) {
      arg = info;
    } else if (info <= 27) {
      const size = 1 << (info - 24);
      if (pos + size > end) throw malformed('truncated', start);
      if (major === 7) throw malformed('floats and extended simple values are not allowed', start);
      arg = 0;
      for (let i = 0; i < size; i++) arg = arg * 256 + (bytes[pos + i] as number);
      pos += size;
    } else if (info === 31) {
      throw malformed('indefinite lengths are not allowed', start);
    } else {
      throw malformed('reserved additional information', start);
    }

    const parent = stack[stack.length - 1];
    const isKey = parent?.keys !== undefined && parent.remaining % 2 === 0;
    if (isKey && major !== 3) throw malformed('map keys must be text strings', start);

    switch (major) {
      case 0:
      case 1:
        break;
      case 2:
      case 3: {
        if (arg > end - pos) throw malformed('truncated', start);
        if (major === 3) {
          if (isKey && parent?.keys !== undefined) {
            if (arg > CBOR_MAX_KEY_BYTES) throw malformed('map key too long', start);
            // Equal UTF-8 text is equal bytes: compare keys without decoding them.
            const keys = parent.keys;
            for (let k = 0; k < keys.length; k += 2) {
              if (keys[k + 1] === arg && sameRange(bytes, keys[k] as number, pos, arg)) {
                throw malformed('duplicate map key', start);
              }
            }
            keys.push(pos, arg);
          }
          if (!isAscii(bytes, pos, pos + arg)) {
            try {
              strictUtf8.decode(bytes.subarray(pos, pos + arg));
            } catch {
              throw malformed('text is not valid UTF-8', start);
            }
          }
        }
        pos += arg;
        break;
      }
      case 4:
      case 5: {
        const isMap = major === 5;
        if (arg > (isMap ? CBOR_MAX_MAP_ENTRIES : CBOR_MAX_ARRAY_ITEMS)) {
          throw malformed(isMap ? 'map too large' : 'array too large', start);
        }
        const items = isMap ? arg * 2 : arg;
        // Every item needs at least one byte: reject impossible lengths early.
        if (items > end - pos) throw malformed('truncated', start);
        if (stack.length >= CBOR_MAX_DEPTH) throw malformed('nested too deeply', start);
        if (parent !== undefined) parent.remaining--;
        if (items > 0) {
          stack.push({ remaining: items, keys: isMap ? [] : undefined });
          continue;
        }
        while (stack.length > 0 && (stack[stack.length - 1] as Container).remaining === 0)
          stack.pop();
        continue;
      }
      case 6:
        throw malformed('tags are not allowed', start);
      default:
        // Major type 7 with a direct value: only false (20), true (21), null (22).
        if (info < 20 || info > 22) throw malformed('unsupported simple value', start);
    }
    if (parent !== undefined) parent.remaining--;
    while (stack.length > 0 && (stack[stack.length - 1] as Container).remaining === 0) stack.pop();
  } while (stack.length > 0);
  if (pos !== end) throw malformed('trailing bytes after the frame', pos);
}

const decoderOptions = {
  useRecords: false,
  mapsAsObjects: true,
  // Integers above 2^53 come out inexact and fail every safe-integer check.
  int64AsNumber: true,
  // Byte strings become fresh arrays, not views that pin (or alias) the input.
  copyBuffers: true,
};
// int64AsNumber is a cbor-x option its type declarations omit.
const decoder = new Decoder(decoderOptions);

/** Decodes one profile-conforming item (a map). Throws FRAME_MALFORMED. */
export function decodeCbor(bytes: Uint8Array): { [key: string]: CborValue } {
  scanProfile(bytes);
  // A plain view: cbor-x caches a DataView on its input object, and slices of a
  // Node Buffer would come out as Buffers.
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    return decoder.decode(view) as { [key: string]: CborValue };
  } catch {
    // Unreachable for scanned input; kept so no cbor-x error can escape.
    throw malformed('cannot decode CBOR');
  }
}

const encoder = new Encoder({
  useRecords: false,
  mapsAsObjects: true,
  tagUint8Array: false,
  variableMapSize: true,
  useFloat32: 0,
});

/** RFC 8949 §4.2.1: shorter keys first, then bytewise (ASCII keys: code-unit order). */
function compareKeys(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Rebuilds a value for cbor-x: sorted keys, large integers as bigint, bytes as-is. */
function prepare(value: unknown, depth: number): unknown {
  if (depth > CBOR_MAX_DEPTH)
    throw new ParleyError(ErrorCode.FRAME_INVALID, 'Cannot encode frame: nested too deeply');
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isSafeInteger(value)) {
        throw new ParleyError(
          ErrorCode.FRAME_INVALID,
          'Cannot encode frame: numbers must be safe integers',
        );
      }
      // cbor-x writes integers beyond 32 bits as float64; a bigint makes it write a CBOR integer.
      return value > 0xffff_ffff || value < -0x1_0000_0000 ? BigInt(value) : value;
    case 'object': {
      if (value === null) return null;
      if (value instanceof Uint8Array) return value;
      if (Array.isArray(value)) return value.map((item) => prepare(item, depth + 1));
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value).sort(compareKeys)) {
        const item = (value as Record<string, unknown>)[key];
        if (item !== undefined) out[key] = prepare(item, depth + 1);
      }
      return out;
    }
    default:
      throw new ParleyError(
        ErrorCode.FRAME_INVALID,
        `Cannot encode frame: unsupported value (${typeof value})`,
      );
  }
}

/** Encodes a map deterministically; returns a fresh, plain Uint8Array. */
export function encodeCbor(value: { readonly [key: string]: unknown }): Bytes {
  const encoded: Uint8Array = encoder.encode(prepare(value, 0));
  // cbor-x returns a Node Buffer (a view into a shared pool) under Node and Deno.
  const out = new Uint8Array(encoded.length);
  out.set(encoded);
  return out;
}
