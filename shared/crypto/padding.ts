/**
 * Plaintext padding before encryption, so the relay learns message lengths only
 * in steps of PADDING_BLOCK bytes. ISO/IEC 7816-4 style: a 0x80 marker after the
 * plaintext, then zeros up to the next multiple of the block (always at least
 * the marker, so an exact multiple grows by one block). Unpadding is strict:
 * anything but zeros after the last 0x80, or a wrong total length, is rejected.
 */
import type { Bytes } from '../bytes.ts';
import { ErrorCode, fail } from '../errors.ts';

export const PADDING_BLOCK = 160;
const MARKER = 0x80;

export function paddedLength(plaintextLength: number): number {
  return (Math.floor(plaintextLength / PADDING_BLOCK) + 1) * PADDING_BLOCK;
}

export function pad(plaintext: Uint8Array): Bytes {
  const out = new Uint8Array(paddedLength(plaintext.length));
  out.set(plaintext);
  out[plaintext.length] = MARKER;
  return out;
}

export function unpad(padded: Uint8Array): Bytes {
  if (padded.length === 0 || padded.length % PADDING_BLOCK !== 0) {
    fail(
      ErrorCode.PADDING_INVALID,
      `Cannot unpad: length ${padded.length} is not a positive multiple of ${PADDING_BLOCK}`,
    );
  }
  // The marker sits in the final block, so at most PADDING_BLOCK bytes are scanned.
  const floor = padded.length - PADDING_BLOCK;
  for (let i = padded.length - 1; i >= floor; i--) {
    const b = padded[i] as number;
    if (b === 0) continue;
    if (b !== MARKER) break;
    return padded.slice(0, i);
  }
  return fail(
    ErrorCode.PADDING_INVALID,
    'Cannot unpad: no valid padding marker in the final block',
  );
}
