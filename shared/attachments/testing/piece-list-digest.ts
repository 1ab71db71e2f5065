/**
 * The piece-list digest (docs/protocol.md "Attachments", "Digest") written a
 * second time, from the spec, with noble's SHA-256 over a whole blob in
 * memory: what the tests and the vectors check digest.ts against.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { type Bytes, concat, utf8 } from '../../bytes.ts';

export function pieceListDigestOf(blob: Uint8Array): Bytes {
  const piece = 1024 * 1024;
  const length = new Uint8Array(8);
  new DataView(length.buffer).setBigUint64(0, BigInt(blob.length));
  const digests: Uint8Array[] = [];
  for (let at = 0; at < blob.length; at += piece)
    digests.push(sha256(blob.subarray(at, at + piece)));
  return sha256(concat(utf8('Parley/v1/attachment/digest'), length, ...digests)) as Bytes;
}
