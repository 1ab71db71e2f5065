/**
 * Signal's logarithmic padding buckets for attachments
 * (Signal-Desktop `ts/util/logPadSize.std.ts`): a file of n bytes is padded
 * with zeros to
 *
 *   max(541, floor(1.05 ^ ceil(log_1.05(n))))
 *
 * bytes, so the relay sees one of about 250 bucket sizes between 541 B and
 * 100 MiB instead of the exact length, for at most 5 % overhead. The padding
 * is part of the AEAD plaintext (authenticated) and the true size travels only
 * in the end-to-end encrypted pointer (docs/protocol.md "Attachments").
 */

const MIN_PADDED_BYTES = 541;
const GROWTH = 1.05;

/** The padded length of an n-byte file (n >= 0). */
export function paddedSize(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('paddedSize: n must be a size');
  const exponent = Math.ceil(Math.log(n) / Math.log(GROWTH));
  const bucket = Math.max(MIN_PADDED_BYTES, Math.floor(GROWTH ** exponent));
  // Floating point can round log_1.05(n) down across an integer; the next
  // bucket is then the one the formula means. Never shorter than the file.
  return bucket >= n ? bucket : Math.floor(GROWTH ** (exponent + 1));
}
