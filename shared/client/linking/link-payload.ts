/**
 * What the existing device hands the new one over the linking channel
 * (docs/protocol.md, "Linking a device"), as deterministic CBOR: everything
 * joinAccount needs (relay, session token, the account identity's private
 * keys) and the account's settings. Sealed under the channel's
 * existing-to-new key; never logged. Also the two small messages the new
 * device sends (its self-description and the linking result).
 */
import * as v from 'valibot';
import type { Bytes } from '../../bytes.ts';
import { ErrorCode, fail } from '../../errors.ts';
import { decodeCbor, encodeCbor } from '../../wire/cbor.ts';
import { isDeviceId } from '../../wire/fields.ts';
import { DEVICE_NAME_MAX_CHARS } from '../../wire/limits.ts';
import type { SessionResponse } from '../../wire/rest-auth.ts';
import { SessionResponseSchema } from '../../wire/rest-auth.ts';
import type { IdentityExport } from '../account/account.ts';
import type { Settings } from '../account/settings.ts';

const PAYLOAD_VERSION = 1;

export interface LinkPayload {
  readonly relayUrl: string;
  readonly session: SessionResponse;
  readonly identity: IdentityExport;
  readonly settings: Settings;
}

const bytesOf = (n: number) => v.pipe(v.instance(Uint8Array), v.length(n));

const PayloadSchema = v.strictObject({
  v: v.literal(PAYLOAD_VERSION),
  relayUrl: v.pipe(v.string(), v.url(), v.maxLength(2048)),
  session: SessionResponseSchema,
  identity: v.strictObject({
    dhPublic: bytesOf(32),
    dhPrivate: bytesOf(32),
    sigPublic: bytesOf(32),
    sigPrivate: v.pipe(v.instance(Uint8Array), v.minLength(32), v.maxLength(128)),
    binding: bytesOf(64),
  }),
  settings: v.strictObject({
    readReceipts: v.boolean(),
    typingIndicators: v.boolean(),
    showPresence: v.boolean(),
  }),
});

const DescriptionSchema = v.strictObject({
  v: v.literal(PAYLOAD_VERSION),
  name: v.pipe(v.string(), v.maxLength(DEVICE_NAME_MAX_CHARS)),
});

const ResultSchema = v.strictObject({
  v: v.literal(PAYLOAD_VERSION),
  device: v.pipe(
    v.number(),
    v.check((n: number) => isDeviceId(n)),
  ),
});

function decode<S extends v.GenericSchema>(
  schema: S,
  bytes: Uint8Array,
  what: string,
): v.InferOutput<S> {
  let value: unknown;
  try {
    value = decodeCbor(bytes);
  } catch {
    return fail(ErrorCode.LINK_FAILED, `Linking ${what}: not CBOR`, { reason: 'protocol' });
  }
  const parsed = v.safeParse(schema, value);
  if (!parsed.success)
    fail(ErrorCode.LINK_FAILED, `Linking ${what}: unexpected fields`, { reason: 'protocol' });
  return parsed.output;
}

export function encodeLinkPayload(p: LinkPayload): Bytes {
  return encodeCbor({
    v: PAYLOAD_VERSION,
    relayUrl: p.relayUrl,
    session: { ...p.session },
    identity: { ...p.identity },
    settings: { ...p.settings },
  });
}

export function decodeLinkPayload(bytes: Uint8Array): LinkPayload {
  const { v: _, ...payload } = decode(PayloadSchema, bytes, 'payload');
  return payload as LinkPayload;
}

export function encodeDescription(name: string): Bytes {
  return encodeCbor({ v: PAYLOAD_VERSION, name: name.slice(0, DEVICE_NAME_MAX_CHARS) });
}

export function decodeDescription(bytes: Uint8Array): string {
  return decode(DescriptionSchema, bytes, 'device description').name;
}

export function encodeResult(device: number): Bytes {
  return encodeCbor({ v: PAYLOAD_VERSION, device });
}

export function decodeResult(bytes: Uint8Array): number {
  return decode(ResultSchema, bytes, 'result').device;
}
