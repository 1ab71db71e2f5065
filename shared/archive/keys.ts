/**
 * The archive's key hierarchy (docs/protocol.md "Archive"), all HKDF-SHA-256
 * from one 32-byte root key (random per history transfer; for backups the
 * backup key derived from the recovery key):
 *
 *   kc        = HKDF(root, no salt, "PARLEY-v1:key-check")
 *   keyCheck  = HMAC-SHA-256(kc, "check")            (in the header)
 *   AK        = HKDF(root, salt = header.salt, "PARLEY-v1:archive")
 *   stream    = HKDF(AK, no salt, "Parley/v1/archive/stream-header", 23) = salt(16) ‖ noncePrefix(7)
 *
 * The key check lets an opener tell a wrong key from a damaged file before it
 * reads the body; it reveals nothing about AK (a separate HKDF output). The
 * stream header is derived rather than random: AK is already unique per
 * archive (fresh header salt), and a derived header makes the sealed bytes a
 * function of (root, header, frames), so an interrupted export can be redone
 * to the same bytes.
 */
import { assertBytes, type Bytes, utf8 } from '../bytes.ts';
import { hkdf, hmacSha256 } from '../crypto/kdf.ts';
import { Label } from '../crypto/labels.ts';
import {
  STREAM_NONCE_PREFIX_BYTES,
  STREAM_SALT_BYTES,
  type StreamHeader,
} from '../crypto/stream-aead.ts';

export const ARCHIVE_ROOT_KEY_BYTES = 32;
export const ARCHIVE_SALT_BYTES = 32;
export const ARCHIVE_KEY_CHECK_BYTES = 32;

const KEY_CHECK_MESSAGE = utf8('check');

/** The value the header carries to prove the opener holds the right root key. */
export function archiveKeyCheck(root: Uint8Array): Bytes {
  assertBytes(root, ARCHIVE_ROOT_KEY_BYTES, 'archive root key');
  const kc = hkdf(root, undefined, Label.ARCHIVE_KEY_CHECK, 32);
  const check = hmacSha256(kc, KEY_CHECK_MESSAGE);
  kc.fill(0);
  return check;
}

/** AK: the key of one archive's body. */
export function archiveKey(root: Uint8Array, salt: Uint8Array): Bytes {
  assertBytes(root, ARCHIVE_ROOT_KEY_BYTES, 'archive root key');
  assertBytes(salt, ARCHIVE_SALT_BYTES, 'archive salt');
  return hkdf(root, salt, Label.ARCHIVE, 32);
}

/** The body's streaming-AEAD header values, derived from AK. */
export function archiveStreamHeader(ak: Uint8Array): StreamHeader {
  const okm = hkdf(
    ak,
    undefined,
    Label.ARCHIVE_STREAM_HEADER,
    STREAM_SALT_BYTES + STREAM_NONCE_PREFIX_BYTES,
  );
  return { salt: okm.slice(0, STREAM_SALT_BYTES), noncePrefix: okm.slice(STREAM_SALT_BYTES) };
}

/** Constant-time comparison of two key-check values. */
export function sameKeyCheck(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}
