/**
 * Path B of linking (docs/protocol.md, "Linking a device"): the link string
 * the new device shows (or encodes as a QR code) for a device on the same
 * machine or with a camera:
 *
 *   parley:link?v=1&r=<rid>&x=<X25519 public key>&k=<first 16 B of SHA-256(ML-KEM public key)>
 *
 * `x` reaches the existing device outside the relay; `k` commits the new
 * device's ML-KEM key, which arrives through the relay, before it is revealed,
 * so a relay cannot swap it.
 */

import * as v from 'valibot';
import { type Bytes, equalBytes, fromBase64Url, toBase64Url } from '../bytes.ts';
import { sha256Digest } from '../crypto/kdf.ts';
import { X25519_KEY_BYTES } from '../crypto/x25519.ts';
import { ErrorCode, fail } from '../errors.ts';
import { RendezvousIdSchema } from '../wire/rest-link.ts';
import { LINK_PROTOCOL_VERSION } from './link-channel.ts';

export const KEM_COMMITMENT_BYTES = 16;
const PREFIX = 'parley:link?';

export interface LinkString {
  readonly rid: string;
  readonly newDh: Bytes;
  readonly kemCommitment: Bytes;
}

export function kemCommitment(kemPublicKey: Uint8Array): Bytes {
  return sha256Digest(kemPublicKey).slice(0, KEM_COMMITMENT_BYTES);
}

export function formatLinkString(rid: string, newDh: Uint8Array, kemPublicKey: Uint8Array): string {
  const x = toBase64Url(newDh);
  const k = toBase64Url(kemCommitment(kemPublicKey));
  return `${PREFIX}v=${LINK_PROTOCOL_VERSION}&r=${rid}&x=${x}&k=${k}`;
}

function invalid(): never {
  return fail(ErrorCode.LINK_CODE_INVALID, 'Not a Parley link string', { reason: 'format' });
}

function bytesParam(params: URLSearchParams, name: string, length: number): Bytes {
  const text = params.get(name);
  if (text === null) invalid();
  let bytes: Bytes;
  try {
    bytes = fromBase64Url(text);
  } catch {
    return invalid();
  }
  if (bytes.length !== length || toBase64Url(bytes) !== text) invalid();
  return bytes;
}

export function parseLinkString(text: string): LinkString {
  const trimmed = text.trim();
  if (!trimmed.startsWith(PREFIX)) invalid();
  const params = new URLSearchParams(trimmed.slice(PREFIX.length));
  if (params.get('v') !== String(LINK_PROTOCOL_VERSION)) invalid();
  const rid = params.get('r') ?? '';
  if (!v.is(RendezvousIdSchema, rid)) invalid();
  return {
    rid,
    newDh: bytesParam(params, 'x', X25519_KEY_BYTES),
    kemCommitment: bytesParam(params, 'k', KEM_COMMITMENT_BYTES),
  };
}

/** Throws LINK_FAILED (`commitment`) unless the relay delivered the committed ML-KEM key. */
export function checkKemCommitment(link: LinkString, kemPublicKey: Uint8Array): void {
  if (!equalBytes(kemCommitment(kemPublicKey), link.kemCommitment))
    fail(ErrorCode.LINK_FAILED, "The new device's key does not match the link string", {
      reason: 'commitment',
    });
}
