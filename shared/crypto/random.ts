/**
 * The one place randomness enters Parley. Protocol functions take a `Random`
 * as a parameter so tests can make them deterministic; production passes
 * `systemRandom`, which reads the platform CSPRNG (crypto.getRandomValues).
 */
import type { Bytes } from '../bytes.ts';

export type Random = (length: number) => Bytes;

const MAX_CHUNK = 65536; // getRandomValues refuses larger requests

export const systemRandom: Random = (length) => {
  const out = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += MAX_CHUNK) {
    crypto.getRandomValues(out.subarray(offset, Math.min(length, offset + MAX_CHUNK)));
  }
  return out;
};
