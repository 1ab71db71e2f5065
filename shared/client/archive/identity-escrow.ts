/**
 * The account identity escrowed in a backup (docs/protocol.md "Backups",
 * "Identity escrow"): one frame `{k: "escrow/identity", r: CBOR(identity
 * export)}` right after the meta frame, in `backup` archives only (a
 * `transfer` archive never has it: a linked device gets the identity in the
 * linking payload). It is sealed like every other frame; it is never written
 * into a store as a record, only handed to a restore into an empty profile,
 * which registers a new device of the same account with it (so the safety
 * number stays the same).
 */
import * as v from 'valibot';
import type { Bytes } from '../../bytes.ts';
import { ErrorCode, ParleyError } from '../../errors.ts';
import { decodeCbor, encodeCbor } from '../../wire/cbor.ts';
import type { IdentityExport } from '../account/account.ts';
import { bytesOf } from '../store/record-codec.ts';
import { encodeRecordFrame } from './snapshot-frames.ts';

/** The frame key; no record kind lives under it, so it can never reach a store. */
export const ESCROWED_IDENTITY_KEY = 'escrow/identity';

const EscrowSchema = v.strictObject({
  dhPublic: bytesOf(32),
  dhPrivate: bytesOf(32),
  sigPublic: bytesOf(32),
  sigPrivate: bytesOf(32),
  binding: bytesOf(64),
});

export function encodeEscrowFrame(identity: IdentityExport): Bytes {
  const { dhPublic, dhPrivate, sigPublic, sigPrivate, binding } = identity;
  return encodeRecordFrame(
    ESCROWED_IDENTITY_KEY,
    encodeCbor({ dhPublic, dhPrivate, sigPublic, sigPrivate, binding }),
  );
}

export function decodeEscrowedIdentity(value: Uint8Array): IdentityExport {
  let raw: unknown;
  try {
    raw = decodeCbor(value);
  } catch {
    raw = undefined;
  }
  const parsed = v.safeParse(EscrowSchema, raw);
  if (!parsed.success)
    throw new ParleyError(ErrorCode.ARCHIVE_DAMAGED, 'Archive damaged: the escrowed identity');
  return parsed.output;
}
