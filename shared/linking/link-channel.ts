/**
 * The linking channel's keys (docs/protocol.md, "Linking a device"): hybrid
 * X25519 + ML-KEM-768, because the channel carries the account identity's
 * private keys and must stay secret against a later quantum computer.
 *
 *   T  = "PARLEY-LINK-v1" ‖ lp(version) ‖ lp(path) ‖ lp(relay origin) ‖ lp(rid)
 *        ‖ lp(new X25519) ‖ lp(new ML-KEM) ‖ lp(existing X25519) ‖ lp(KEM ciphertext)
 *   K  = HKDF-SHA256(X25519_ss ‖ MLKEM_ss, salt = SHA-256(T), "PARLEY-LINK-v1")
 *   keys = HKDF(K, "PARLEY-LINK-v1 <purpose>"): two AES-256-GCM directions,
 *          two confirmation MAC keys, and the 6-digit check code of path B.
 *
 * Pure: no I/O, no randomness (the caller brings the shared secrets).
 */
import { type Bytes, concat, equalBytes, u32be, utf8, wipe } from '../bytes.ts';
import { openSmall, sealSmall } from '../crypto/aead.ts';
import { hkdf, hmacSha256, sha256Digest } from '../crypto/kdf.ts';
import { Label } from '../crypto/labels.ts';
import { ErrorCode, fail } from '../errors.ts';

/** The protocol version in the transcript and the link string. */
export const LINK_PROTOCOL_VERSION = 1;
/** Path A: typed code (EKE); path B: link string with a check code. */
export type LinkPath = 'code' | 'string';
export type LinkRole = 'new' | 'existing';

export interface LinkTranscript {
  readonly path: LinkPath;
  /** The relay's origin as each side knows it (both must use the same relay). */
  readonly origin: string;
  readonly rid: string;
  readonly newDh: Uint8Array;
  readonly newKem: Uint8Array;
  readonly existingDh: Uint8Array;
  readonly kemCipherText: Uint8Array;
}

export interface LinkKeys {
  /** SHA-256 of the transcript: what the confirmations and every sealed message bind. */
  readonly transcriptHash: Bytes;
  readonly newToExisting: Bytes;
  readonly existingToNew: Bytes;
  readonly confirmNew: Bytes;
  readonly confirmExisting: Bytes;
  /** The 6-digit check code (path B): shown on the existing device, typed into the new one. */
  readonly checkCode: string;
}

function lp(bytes: Uint8Array): Bytes {
  return concat(u32be(bytes.length), bytes);
}

export function transcriptHash(t: LinkTranscript): Bytes {
  return sha256Digest(
    concat(
      utf8(Label.LINK_CHANNEL),
      lp(Uint8Array.of(LINK_PROTOCOL_VERSION)),
      lp(utf8(t.path)),
      lp(utf8(t.origin)),
      lp(utf8(t.rid)),
      lp(t.newDh),
      lp(t.newKem),
      lp(t.existingDh),
      lp(t.kemCipherText),
    ),
  );
}

/** Six decimal digits from 8 bytes (the bias of 2^64 mod 10^6 is below 10^-13). */
function sixDigits(bytes: Uint8Array): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return (n % 1_000_000n).toString().padStart(6, '0');
}

export function deriveLinkKeys(
  dhSecret: Uint8Array,
  kemSecret: Uint8Array,
  t: LinkTranscript,
): LinkKeys {
  const hash = transcriptHash(t);
  const ikm = concat(dhSecret, kemSecret);
  const k = hkdf(ikm, hash, Label.LINK_CHANNEL, 32);
  wipe(ikm);
  const sub = (label: string, n = 32) => hkdf(k, undefined, label, n);
  const check = sub(Label.LINK_CHECK, 8);
  const keys: LinkKeys = {
    transcriptHash: hash,
    newToExisting: sub(Label.LINK_NEW_TO_EXISTING),
    existingToNew: sub(Label.LINK_EXISTING_TO_NEW),
    confirmNew: sub(Label.LINK_CONFIRM_NEW),
    confirmExisting: sub(Label.LINK_CONFIRM_EXISTING),
    checkCode: sixDigits(check),
  };
  wipe(k, check);
  return keys;
}

/** The key-confirmation MAC a side sends: HMAC(its confirm key, SHA-256(T)). */
export function confirmationMac(keys: LinkKeys, from: LinkRole): Bytes {
  return hmacSha256(from === 'new' ? keys.confirmNew : keys.confirmExisting, keys.transcriptHash);
}

/** Throws LINK_FAILED (`confirmation`) unless `mac` is the other side's confirmation. */
export function verifyConfirmation(keys: LinkKeys, from: LinkRole, mac: Uint8Array): void {
  if (!equalBytes(confirmationMac(keys, from), mac))
    fail(ErrorCode.LINK_FAILED, 'Key confirmation failed: wrong code, or a key was swapped', {
      reason: 'confirmation',
    });
}

function nonce(counter: number): Bytes {
  const out = new Uint8Array(12);
  out.set(u32be(counter), 8);
  return out;
}

/**
 * Seals a channel message from `from` under its direction key. Each direction
 * numbers its messages from 0 (the nonce); the transcript hash is the AAD.
 */
export function sealLinkMessage(
  keys: LinkKeys,
  from: LinkRole,
  counter: number,
  plaintext: Uint8Array,
): Bytes {
  const key = from === 'new' ? keys.newToExisting : keys.existingToNew;
  return sealSmall(key, nonce(counter), plaintext, keys.transcriptHash);
}

/** Opens a message sealed by `from`; LINK_FAILED (`protocol`) if it does not authenticate. */
export function openLinkMessage(
  keys: LinkKeys,
  from: LinkRole,
  counter: number,
  sealed: Uint8Array,
): Bytes {
  const key = from === 'new' ? keys.newToExisting : keys.existingToNew;
  try {
    return openSmall(key, nonce(counter), sealed, keys.transcriptHash);
  } catch {
    return fail(ErrorCode.LINK_FAILED, 'A linking message did not authenticate', {
      reason: 'protocol',
    });
  }
}

/** Wipes the channel keys once linking is over. */
export function wipeLinkKeys(keys: LinkKeys): void {
  wipe(keys.newToExisting, keys.existingToNew, keys.confirmNew, keys.confirmExisting);
}
