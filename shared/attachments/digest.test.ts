// The blob digests of digest.ts: the piece-list digest against a second,
// independent implementation of its spec (testing/piece-list-digest.ts), for
// every way a blob can be cut into updates, and the choice of scheme.
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes.ts';
import { ErrorCode } from '../errors.ts';
import { errorOf } from '../testing/errors.ts';
import {
  DIGEST_PIECE_BYTES,
  DigestScheme,
  digesterFor,
  pieceListDigester,
  pieceListPreimage,
} from './digest.ts';
import { pieceListDigestOf } from './testing/piece-list-digest.ts';

const MiB = DIGEST_PIECE_BYTES;

function pattern(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 131 + (i >>> 11)) & 0xff;
  return out;
}

/** Feeds `blob` cut at `cuts` (sorted offsets), then reads the digest. */
async function digestInParts(blob: Uint8Array, cuts: readonly number[]): Promise<string> {
  const digester = pieceListDigester();
  let from = 0;
  for (const cut of [...cuts, blob.length]) {
    await digester.update(blob.subarray(from, cut));
    from = cut;
  }
  return toHex(await digester.digest());
}

describe('piece-list digest', () => {
  it('is SHA-256(label ‖ BE64(length) ‖ SHA-256 of each 1 MiB piece)', () => {
    const blob = pattern(2 * MiB + 5);
    const preimage = pieceListPreimage(blob.length, [
      sha256(blob.subarray(0, MiB)),
      sha256(blob.subarray(MiB, 2 * MiB)),
      sha256(blob.subarray(2 * MiB)),
    ]);
    expect(new TextDecoder().decode(preimage.subarray(0, 27))).toBe('Parley/v1/attachment/digest');
    expect(toHex(preimage.subarray(27, 35))).toBe('0000000000200005');
    expect(preimage.length).toBe(27 + 8 + 3 * 32);
    expect(toHex(sha256(preimage))).toBe(toHex(pieceListDigestOf(blob)));
  });

  for (const length of [0, 1, MiB - 1, MiB, MiB + 1, 3 * MiB + 123]) {
    it(`${length} bytes in one update, in 1 MiB chunks and in odd chunks give the same digest`, async () => {
      const blob = pattern(length);
      const expected = toHex(pieceListDigestOf(blob));
      expect(await digestInParts(blob, [])).toBe(expected);
      const mib = Array.from({ length: Math.floor(length / MiB) }, (_, i) => (i + 1) * MiB);
      expect(
        await digestInParts(
          blob,
          mib.filter((c) => c < length),
        ),
      ).toBe(expected);
      const odd = Array.from({ length: Math.floor(length / 300_001) }, (_, i) => (i + 1) * 300_001);
      expect(await digestInParts(blob, odd)).toBe(expected);
    });
  }

  it('any cutting of a blob gives the digest of the whole (fast-check)', async () => {
    const blob = pattern(2 * MiB + 77);
    const expected = toHex(pieceListDigestOf(blob));
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: blob.length - 1 }), { maxLength: 6 }),
        async (cuts) => {
          expect(
            await digestInParts(
              blob,
              [...cuts].sort((a, b) => a - b),
            ),
          ).toBe(expected);
        },
      ),
      { numRuns: 15 },
    );
  });

  it("does not keep the caller's bytes: changing them after update leaves the digest alone", async () => {
    const blob = pattern(MiB + 10);
    const expected = toHex(pieceListDigestOf(blob));
    const digester = pieceListDigester();
    const copy = blob.slice();
    await digester.update(copy.subarray(0, MiB));
    await digester.update(copy.subarray(MiB));
    copy.fill(0);
    expect(toHex(await digester.digest())).toBe(expected);
  });

  it('differs from the plain SHA-256 of the same blob and commits to its length', async () => {
    const blob = pattern(1000);
    const digest = toHex(pieceListDigestOf(blob));
    expect(digest).not.toBe(toHex(sha256(blob)));
    expect(toHex(pieceListDigestOf(pattern(1001)))).not.toBe(digest);
    expect(toHex(pieceListDigestOf(new Uint8Array(0)))).not.toBe(
      toHex(pieceListDigestOf(new Uint8Array(1))),
    );
  });
});

describe('digesterFor', () => {
  it('absent and 1: SHA-256 of the whole blob; 2: the piece list', async () => {
    const blob = pattern(MiB + 3);
    for (const [scheme, expected] of [
      [undefined, sha256(blob)],
      [DigestScheme.BLOB_SHA256, sha256(blob)],
      [DigestScheme.PIECE_LIST, pieceListDigestOf(blob)],
    ] as const) {
      const digester = await digesterFor(scheme);
      await digester.update(blob.subarray(0, 5));
      await digester.update(blob.subarray(5));
      expect(toHex(await digester.digest())).toBe(toHex(expected));
    }
  });

  it('refuses a scheme it does not know with MESSAGE_VERSION', async () => {
    for (const scheme of [0, 3, 255]) {
      const error = await errorOf(() => digesterFor(scheme));
      expect(error.code).toBe(ErrorCode.MESSAGE_VERSION);
      expect(error.details).toEqual({ digestScheme: scheme });
    }
  });
});
