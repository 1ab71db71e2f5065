/**
 * Frames to bytes and back. Decoding checks, in this order, and throws
 * ParleyError with one of four codes (nothing else ever escapes):
 *   1. size of the raw frame            -> FRAME_TOO_LARGE
 *   2. CBOR profile, top level a map    -> FRAME_MALFORMED
 *   3. `t` names a frame type           -> FRAME_UNKNOWN_TYPE
 *   4. the frame's schema               -> FRAME_INVALID (details: frame, path, reason)
 * Encoding validates against the same schema first, so a peer never receives
 * a frame it would reject, and checks the size cap so an oversized group send
 * fails at the sender, where it can be split.
 */
import * as v from 'valibot';
import type { Bytes } from '../bytes.ts';
import { ErrorCode, ParleyError } from '../errors.ts';
import { decodeCbor, encodeCbor } from './cbor.ts';
import {
  type ClientFrame,
  clientFrameSchemas,
  type ServerFrame,
  serverFrameSchemas,
} from './frames.ts';
import { summarizeIssue } from './issues.ts';
import { FRAME_MAX_BYTES, SERVER_FRAME_MAX_BYTES } from './limits.ts';

type FrameSchema = v.GenericSchema<unknown, unknown>;
type SchemaTable = Readonly<Record<string, FrameSchema>>;

export interface FrameLimits {
  /** Reject frames larger than this (default: FRAME_MAX_BYTES or SERVER_FRAME_MAX_BYTES). */
  readonly maxBytes?: number;
}

function tooLarge(action: 'decode' | 'encode', size: number, max: number): ParleyError {
  return new ParleyError(
    ErrorCode.FRAME_TOO_LARGE,
    `Cannot ${action} frame: ${size} bytes exceeds the ${max}-byte limit`,
    { size, max },
  );
}

function invalid(
  action: 'decode' | 'encode',
  frame: string,
  issue: v.BaseIssue<unknown>,
): ParleyError {
  const { path, reason } = summarizeIssue(issue);
  return new ParleyError(
    ErrorCode.FRAME_INVALID,
    `Cannot ${action} ${frame} frame: invalid field ${path === '' ? '(frame)' : path} (${reason})`,
    { frame, path, reason },
  );
}

function decodeWith<F>(table: SchemaTable, bytes: Uint8Array, maxBytes: number): F {
  if (!(bytes instanceof Uint8Array)) {
    throw new ParleyError(
      ErrorCode.FRAME_MALFORMED,
      'Cannot decode frame: expected a binary frame',
      {
        reason: 'not binary',
      },
    );
  }
  if (bytes.length > maxBytes) throw tooLarge('decode', bytes.length, maxBytes);
  const value = decodeCbor(bytes);
  const t = value.t;
  if (typeof t !== 'string' || !Object.hasOwn(table, t)) {
    // The type string is not echoed: it is attacker-chosen text.
    throw new ParleyError(ErrorCode.FRAME_UNKNOWN_TYPE, 'Cannot decode frame: unknown frame type');
  }
  const schema = table[t] as FrameSchema;
  const result = v.safeParse(schema, value, { abortEarly: true });
  if (!result.success) throw invalid('decode', t, result.issues[0]);
  return result.output as F;
}

function encodeWith(table: SchemaTable, frame: { readonly t: string }, maxBytes: number): Bytes {
  const t = frame.t;
  if (!Object.hasOwn(table, t)) {
    throw new ParleyError(ErrorCode.FRAME_UNKNOWN_TYPE, `Cannot encode frame: unknown frame type`);
  }
  const result = v.safeParse(table[t] as FrameSchema, frame, { abortEarly: true });
  if (!result.success) throw invalid('encode', t, result.issues[0]);
  const bytes = encodeCbor(result.output as Record<string, unknown>);
  if (bytes.length > maxBytes) throw tooLarge('encode', bytes.length, maxBytes);
  return bytes;
}

/** Relay side: bytes from a client. Pass PREAUTH_FRAME_MAX_BYTES before `auth` succeeds. */
export function decodeClientFrame(bytes: Uint8Array, limits: FrameLimits = {}): ClientFrame {
  return decodeWith<ClientFrame>(clientFrameSchemas, bytes, limits.maxBytes ?? FRAME_MAX_BYTES);
}

/** Client side: bytes from the relay. */
export function decodeServerFrame(bytes: Uint8Array, limits: FrameLimits = {}): ServerFrame {
  return decodeWith<ServerFrame>(
    serverFrameSchemas,
    bytes,
    limits.maxBytes ?? SERVER_FRAME_MAX_BYTES,
  );
}

export function encodeClientFrame(frame: ClientFrame, limits: FrameLimits = {}): Bytes {
  return encodeWith(clientFrameSchemas, frame, limits.maxBytes ?? FRAME_MAX_BYTES);
}

export function encodeServerFrame(frame: ServerFrame, limits: FrameLimits = {}): Bytes {
  return encodeWith(serverFrameSchemas, frame, limits.maxBytes ?? SERVER_FRAME_MAX_BYTES);
}

/** The codes decoding can throw; anything else escaping the decoder is a bug. */
export const FRAME_DECODE_ERRORS: readonly string[] = [
  ErrorCode.FRAME_TOO_LARGE,
  ErrorCode.FRAME_MALFORMED,
  ErrorCode.FRAME_UNKNOWN_TYPE,
  ErrorCode.FRAME_INVALID,
];
