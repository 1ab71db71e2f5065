/**
 * The frames of a snapshot inside an archive (docs/protocol.md "Archive"):
 * first a meta frame `{v: 1, history}`, then one frame per record
 * `{k: key, r: record bytes}`, all deterministic CBOR. Records travel as the
 * bytes the client stores (its own record codec), so an import writes exactly
 * what the exporting device held and a second export gives identical frames.
 */
import * as v from 'valibot';
import type { Bytes } from '../../bytes.ts';
import { ErrorCode, ParleyError } from '../../errors.ts';
import { decodeCbor, encodeCbor } from '../../wire/cbor.ts';

export const SNAPSHOT_VERSION = 1;

const MetaSchema = v.strictObject({ v: v.number(), history: v.boolean() });
const RecordSchema = v.strictObject({
  k: v.pipe(v.string(), v.minLength(1), v.maxLength(512)),
  r: v.pipe(
    v.instance(Uint8Array),
    v.transform((b) => b as Bytes),
  ),
});

export interface SnapshotMeta {
  readonly history: boolean;
}

export interface SnapshotRecord {
  readonly key: string;
  readonly value: Bytes;
}

function damaged(what: string): ParleyError {
  return new ParleyError(ErrorCode.ARCHIVE_DAMAGED, `Archive damaged: ${what}`);
}

function decodeMap(frame: Uint8Array, what: string): unknown {
  try {
    return decodeCbor(frame);
  } catch {
    throw damaged(`${what} is not valid CBOR`);
  }
}

export function encodeMetaFrame(meta: SnapshotMeta): Bytes {
  return encodeCbor({ v: SNAPSHOT_VERSION, history: meta.history });
}

export function decodeMetaFrame(frame: Uint8Array): SnapshotMeta {
  const parsed = v.safeParse(MetaSchema, decodeMap(frame, 'the snapshot header'));
  if (!parsed.success) throw damaged('the snapshot header is invalid');
  if (parsed.output.v !== SNAPSHOT_VERSION) {
    throw new ParleyError(ErrorCode.ARCHIVE_UNSUPPORTED, 'Archive unsupported: snapshot version', {
      version: parsed.output.v,
    });
  }
  return { history: parsed.output.history };
}

export function encodeRecordFrame(key: string, value: Uint8Array): Bytes {
  return encodeCbor({ k: key, r: value });
}

export function decodeRecordFrame(frame: Uint8Array): SnapshotRecord {
  const parsed = v.safeParse(RecordSchema, decodeMap(frame, 'a record'));
  if (!parsed.success) throw damaged('a record frame is invalid');
  return { key: parsed.output.k, value: parsed.output.r };
}
