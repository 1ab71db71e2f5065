/**
 * Records at rest: one CBOR map per record (Parley's deterministic profile,
 * shared/wire/cbor.ts), validated with a valibot schema when read back. A
 * record that does not decode or does not match its schema is STATE_CORRUPT,
 * naming the record kind but never echoing its contents.
 */
import * as v from 'valibot';
import type { Bytes } from '../../bytes.ts';
import { ErrorCode, ParleyError } from '../../errors.ts';
import { decodeCbor, encodeCbor } from '../../wire/cbor.ts';

export function encodeRecord(value: { readonly [key: string]: unknown }): Bytes {
  return encodeCbor(value);
}

export function decodeRecord<S extends v.GenericSchema>(
  schema: S,
  bytes: Uint8Array,
  kind: string,
): v.InferOutput<S> {
  let raw: unknown;
  try {
    raw = decodeCbor(bytes);
  } catch {
    throw new ParleyError(ErrorCode.STATE_CORRUPT, `Stored ${kind} record is not valid CBOR`, {
      kind,
    });
  }
  const result = v.safeParse(schema, raw);
  if (!result.success) {
    throw new ParleyError(
      ErrorCode.STATE_CORRUPT,
      `Stored ${kind} record does not match its schema`,
      {
        kind,
      },
    );
  }
  return result.output;
}

/** Schemas of the byte and integer fields records use. */
export const BytesField = v.pipe(
  v.instance(Uint8Array),
  v.transform((b) => b as Bytes),
);
export const IntField = v.pipe(v.number(), v.safeInteger());
export function bytesOf(length: number) {
  return v.pipe(
    v.instance(Uint8Array),
    v.length(length),
    v.transform((b) => b as Bytes),
  );
}
