// Properties of the archive format (docs/protocol.md "Archive"; threats L7,
// B1): any frame set round-trips, and every truncation, bit flip or segment
// swap of a sealed archive is rejected with the code that names it.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { concat, toHex } from '../bytes.ts';
import { ErrorCode } from '../errors.ts';
import { errorOf } from '../testing/errors.ts';
import { openArchive } from './archive.ts';
import { collectFrames, piecesOf } from './testing/collect.ts';
import { type SealedFixture, sealFixture } from './testing/fixture.ts';
import { noiseBytes } from './vectors/compute.ts';

/** Opens and reads to the end; the code it failed with, or 'ok'. */
async function outcome(bytes: Uint8Array, fixture: SealedFixture): Promise<string> {
  try {
    const opened = await openArchive(piecesOf(bytes, 5000), fixture.options);
    await collectFrames(opened.frames);
    return 'ok';
  } catch (e) {
    return (await errorOf(() => Promise.reject(e))).code;
  }
}

/** Magic "PRLYBAK" and the version byte: other bytes there are another format. */
const FORMAT_BYTES = 8;

describe('archive properties', () => {
  let fixture: SealedFixture;
  beforeAll(async () => {
    // Three segments: two full, one short.
    fixture = await sealFixture([noiseBytes(80_000, 'p'), noiseBytes(60_000, 'q')]);
  });

  it('any frame set round-trips', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 20 }),
        fc.constantFrom('transfer' as const, 'backup' as const),
        async (frames, kind) => {
          const sealed = await sealFixture(frames, kind);
          const opened = await openArchive(piecesOf(sealed.bytes, 997), sealed.options);
          expect(opened.header.kind).toBe(kind);
          expect((await collectFrames(opened.frames)).map(toHex)).toEqual(frames.map(toHex));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('every truncation is rejected', async () => {
    const length = fixture.bytes.length;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: length - 1 }), async (cut) => {
        const code = await outcome(fixture.bytes.subarray(0, cut), fixture);
        // Fewer bytes than the magic is not recognisably an archive at all.
        expect(code).toBe(cut < 7 ? ErrorCode.ARCHIVE_UNSUPPORTED : ErrorCode.ARCHIVE_DAMAGED);
      }),
      { numRuns: 100, examples: [[0], [7], [fixture.headerBytes], [length - 1]] },
    );
  });

  it('every bit flip is rejected', async () => {
    const length = fixture.bytes.length;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: length - 1 }),
        fc.integer({ min: 0, max: 7 }),
        async (at, bit) => {
          const flipped = fixture.bytes.slice();
          flipped[at] = (flipped[at] as number) ^ (1 << bit);
          const code = await outcome(flipped, fixture);
          expect(code).toBe(
            at < FORMAT_BYTES ? ErrorCode.ARCHIVE_UNSUPPORTED : ErrorCode.ARCHIVE_DAMAGED,
          );
        },
      ),
      {
        numRuns: 300,
        examples: [
          [fixture.headerBytes - 1, 0],
          [length - 1, 7],
        ],
      },
    );
  });

  it('every reordering of the segments other than the original is rejected', async () => {
    const b = fixture.bytes;
    const segments = fixture.segments.map(([start, end]) => b.subarray(start, end));
    const prefix = b.subarray(0, fixture.segments[0]?.[0]);
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray([0, 1, 2], { minLength: 1, maxLength: 3 }),
        async (order) => {
          fc.pre(order.join() !== '0,1,2');
          const bytes = concat(prefix, ...order.map((i) => segments[i] as Uint8Array));
          expect(await outcome(bytes, fixture)).toBe(ErrorCode.ARCHIVE_DAMAGED);
        },
      ),
      { numRuns: 30 },
    );
  });
});
