/**
 * The history offer: what the existing device tells the new one, sealed in
 * the linking channel's `history` message (docs/protocol.md, "History
 * transfer"), as deterministic CBOR. Either where the archive is (the
 * transfer blob's relay id, the fresh 32-byte archive root key, the SHA-256
 * and byte length of the blob), or that there is none (the user chose "no
 * history", or the export failed: `failed`). The root key travels only here.
 */
import * as v from 'valibot';
import type { Bytes } from '../../bytes.ts';
import { ErrorCode, fail } from '../../errors.ts';
import { decodeCbor, encodeCbor } from '../../wire/cbor.ts';
import { ATTACHMENT_MAX_BYTES } from '../../wire/limits.ts';
import { OpaqueIdSchema } from '../../wire/rest-fields.ts';

const OFFER_VERSION = 1;
export const HISTORY_ROOT_KEY_BYTES = 32;

export interface HistoryArchiveOffer {
  /** The transfer blob's relay id (the read capability). */
  readonly id: string;
  /** The archive's root key (fresh per link). */
  readonly root: Uint8Array;
  /** SHA-256 of the whole blob, checked before anything is imported. */
  readonly digest: Uint8Array;
  /** Blob bytes. */
  readonly size: number;
}

export interface NoHistoryOffer {
  readonly none: true;
  /** The existing device tried and could not export or upload (the user did not decline). */
  readonly failed?: true;
}

export type HistoryOffer = HistoryArchiveOffer | NoHistoryOffer;

export function hasArchive(offer: HistoryOffer): offer is HistoryArchiveOffer {
  return !('none' in offer);
}

const bytesOf = (n: number) => v.pipe(v.instance(Uint8Array), v.length(n));

const OfferSchema = v.union([
  v.strictObject({
    v: v.literal(OFFER_VERSION),
    id: OpaqueIdSchema,
    root: bytesOf(HISTORY_ROOT_KEY_BYTES),
    digest: bytesOf(32),
    size: v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(ATTACHMENT_MAX_BYTES)),
  }),
  v.strictObject({
    v: v.literal(OFFER_VERSION),
    none: v.literal(true),
    failed: v.optional(v.literal(true)),
  }),
]);

export function encodeHistoryOffer(offer: HistoryOffer): Bytes {
  return encodeCbor({ v: OFFER_VERSION, ...offer });
}

export function decodeHistoryOffer(bytes: Uint8Array): HistoryOffer {
  let value: unknown;
  try {
    value = decodeCbor(bytes);
  } catch {
    return fail(ErrorCode.LINK_FAILED, 'Linking history offer: not CBOR', { reason: 'protocol' });
  }
  const parsed = v.safeParse(OfferSchema, value);
  if (!parsed.success)
    fail(ErrorCode.LINK_FAILED, 'Linking history offer: unexpected fields', {
      reason: 'protocol',
    });
  const { v: _, ...offer } = parsed.output;
  return offer as HistoryOffer;
}
