// The streaming AEAD: round trips at every size that matters, and every way of
// cutting, reordering, swapping, extending or flipping a sealed stream fails
// with DECRYPT_FAILED (docs/protocol.md "Streaming AEAD").
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Bytes, concat, equalBytes, utf8 } from '../bytes.ts';
import { ErrorCode } from '../errors.ts';
import { errorOf } from '../testing/errors.ts';
import {
  decodeStreamHeader,
  encodeStreamHeader,
  openSegment,
  openStream,
  STREAM_HEADER_BYTES,
  type StreamAeadFormat,
  sealStream,
  segmentPlaintextBytes,
  streamCipher,
  streamSealedLength,
  streamSegmentCount,
} from './stream-aead.ts';

const FORMAT: StreamAeadFormat = {
  magic: 'TEST',
  info: 'Parley/v1/test/stream',
  segmentBytes: 1024,
};
const SEG = FORMAT.segmentBytes;
const CT_SEG = SEG + 16;
const KEY = new Uint8Array(32).fill(7);
const HEADER = { salt: new Uint8Array(16).fill(1), noncePrefix: new Uint8Array(7).fill(2) };
const CONTEXT = utf8('context');

async function collect(source: AsyncIterable<Uint8Array>): Promise<Bytes> {
  const parts: Uint8Array[] = [];
  for await (const part of source) parts.push(part);
  return concat(...parts);
}

/** The plaintext fed in pieces of the given sizes (cycled), so piece boundaries vary too. */
async function* pieces(bytes: Uint8Array, sizes: readonly number[]): AsyncGenerator<Uint8Array> {
  let offset = 0;
  for (let i = 0; offset < bytes.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length] ?? 1);
    yield bytes.subarray(offset, offset + n);
    offset += n;
  }
}

async function seal(plaintext: Uint8Array, sizes: readonly number[] = [4096]): Promise<Bytes> {
  const cipher = await streamCipher(FORMAT, KEY, HEADER, CONTEXT);
  return collect(sealStream(cipher, pieces(plaintext, sizes)));
}

function open(sealed: Uint8Array, sizes: readonly number[] = [4096], context = CONTEXT) {
  return collect(openStream(FORMAT, KEY, pieces(sealed, sizes), context));
}

function plaintextOf(length: number): Bytes {
  return Uint8Array.from({ length }, (_, i) => (i * 7 + 3) & 0xff);
}

const BOUNDARY_SIZES = [0, 1, SEG - 1, SEG, SEG + 1, 2 * SEG, 3 * SEG + 5];

describe('stream AEAD round trip', () => {
  for (const length of BOUNDARY_SIZES) {
    it(`${length} bytes`, async () => {
      const plaintext = plaintextOf(length);
      const sealed = await seal(plaintext);
      expect(sealed.length).toBe(streamSealedLength(FORMAT, length));
      expect(equalBytes(await open(sealed), plaintext)).toBe(true);
    });
  }

  it('any length, cut into any pieces on either side', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 4 * SEG + 3 }),
        fc.array(fc.integer({ min: 1, max: 3 * SEG }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 1, max: 3 * CT_SEG }), { minLength: 1, maxLength: 5 }),
        async (length, inSizes, outSizes) => {
          const plaintext = plaintextOf(length);
          const sealed = await seal(plaintext, inSizes);
          expect(equalBytes(sealed, await seal(plaintext))).toBe(true);
          expect(equalBytes(await open(sealed, outSizes), plaintext)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('the header round-trips and refuses another format or version', () => {
    const bytes = encodeStreamHeader(FORMAT, HEADER);
    expect(bytes.length).toBe(STREAM_HEADER_BYTES);
    expect(decodeStreamHeader(FORMAT, bytes)).toEqual(HEADER);
    expect(errorOf(() => decodeStreamHeader({ ...FORMAT, magic: 'OTHR' }, bytes)).code).toBe(
      ErrorCode.MESSAGE_MALFORMED,
    );
    expect(errorOf(() => decodeStreamHeader({ ...FORMAT, segmentBytes: 2048 }, bytes)).code).toBe(
      ErrorCode.MESSAGE_MALFORMED,
    );
    const v2 = bytes.slice();
    v2[4] = 2;
    expect(errorOf(() => decodeStreamHeader(FORMAT, v2)).code).toBe(ErrorCode.MESSAGE_VERSION);
  });

  it("a format's own version byte: written, and the only one it reads", () => {
    const formatV2 = { ...FORMAT, version: 2 };
    const bytes = encodeStreamHeader(formatV2, HEADER);
    expect(bytes[4]).toBe(2);
    expect(decodeStreamHeader(formatV2, bytes)).toEqual(HEADER);
    expect(errorOf(() => decodeStreamHeader(FORMAT, bytes)).code).toBe(ErrorCode.MESSAGE_VERSION);
    expect(encodeStreamHeader(FORMAT, HEADER)[4]).toBe(1);
    expect(() => encodeStreamHeader({ ...FORMAT, version: 256 }, HEADER)).toThrow(RangeError);
  });
});

/** Sealed streams of 0..4 segments (lengths that fill the last segment fully or partly). */
const sealedArb = fc.integer({ min: 0, max: 4 * SEG }).map((length) => plaintextOf(length));

function segmentsOf(sealed: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = STREAM_HEADER_BYTES; at < sealed.length; at += CT_SEG) {
    out.push(sealed.subarray(at, Math.min(at + CT_SEG, sealed.length)));
  }
  return out;
}

async function rejected(bytes: Uint8Array, context = CONTEXT): Promise<string> {
  return (await errorOf(() => open(bytes, [4096], context))).code;
}

const REJECTED = [ErrorCode.DECRYPT_FAILED, ErrorCode.MESSAGE_MALFORMED, ErrorCode.MESSAGE_VERSION];

describe('stream AEAD rejects every alteration', () => {
  it('every truncation', async () => {
    await fc.assert(
      fc.asyncProperty(sealedArb, fc.double({ min: 0, max: 1, noNaN: true }), async (pt, f) => {
        const sealed = await seal(pt);
        const cut = Math.min(sealed.length - 1, Math.floor(f * sealed.length));
        expect(await rejected(sealed.subarray(0, cut))).toBe(ErrorCode.DECRYPT_FAILED);
      }),
      { numRuns: 80 },
    );
  });

  it('truncation at every segment boundary (a whole tail of segments dropped)', async () => {
    const sealed = await seal(plaintextOf(3 * SEG + 5));
    for (let keep = 0; keep < 4; keep++) {
      const cut = STREAM_HEADER_BYTES + keep * CT_SEG;
      expect(await rejected(sealed.subarray(0, cut))).toBe(ErrorCode.DECRYPT_FAILED);
    }
  });

  it('extension: bytes, a copied segment, or a second stream appended', async () => {
    await fc.assert(
      fc.asyncProperty(
        sealedArb,
        fc.uint8Array({ minLength: 1, maxLength: 40 }),
        async (pt, extra) => {
          const sealed = await seal(pt);
          const segments = segmentsOf(sealed);
          const lastSegment = segments[segments.length - 1] as Uint8Array;
          expect(await rejected(concat(sealed, extra))).toBe(ErrorCode.DECRYPT_FAILED);
          expect(await rejected(concat(sealed, lastSegment))).toBe(ErrorCode.DECRYPT_FAILED);
          expect(await rejected(concat(sealed, sealed.subarray(STREAM_HEADER_BYTES)))).toBe(
            ErrorCode.DECRYPT_FAILED,
          );
        },
      ),
      { numRuns: 40 },
    );
  });

  it('every single bit flip, header included', async () => {
    await fc.assert(
      fc.asyncProperty(sealedArb, fc.nat(), fc.integer({ min: 0, max: 7 }), async (pt, at, bit) => {
        const sealed = await seal(pt);
        const flipped = sealed.slice();
        const i = at % flipped.length;
        flipped[i] = (flipped[i] as number) ^ (1 << bit);
        expect(REJECTED).toContain(await rejected(flipped));
      }),
      { numRuns: 150 },
    );
  });

  it('every swap and reordering of segments', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2 * SEG + 1, max: 5 * SEG }),
        fc.nat(),
        fc.nat(),
        async (length, a, b) => {
          const sealed = await seal(plaintextOf(length));
          const segments = segmentsOf(sealed);
          const i = a % segments.length;
          const j = b % segments.length;
          fc.pre(i !== j);
          const swapped = segments.slice();
          [swapped[i], swapped[j]] = [swapped[j] as Uint8Array, swapped[i] as Uint8Array];
          const bytes = concat(sealed.subarray(0, STREAM_HEADER_BYTES), ...swapped);
          expect(await rejected(bytes)).toBe(ErrorCode.DECRYPT_FAILED);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('a segment dropped from the middle, or repeated', async () => {
    const sealed = await seal(plaintextOf(4 * SEG));
    const [s0, s1, s2, s3] = segmentsOf(sealed) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    const head = sealed.subarray(0, STREAM_HEADER_BYTES);
    expect(await rejected(concat(head, s0, s2, s3))).toBe(ErrorCode.DECRYPT_FAILED);
    expect(await rejected(concat(head, s0, s1, s1, s2, s3))).toBe(ErrorCode.DECRYPT_FAILED);
  });

  it('a segment from another stream with the same key but another salt', async () => {
    const sealed = await seal(plaintextOf(2 * SEG));
    const other = await collect(
      sealStream(
        await streamCipher(FORMAT, KEY, { ...HEADER, salt: new Uint8Array(16).fill(9) }, CONTEXT),
        pieces(plaintextOf(2 * SEG), [SEG]),
      ),
    );
    const mixed = concat(
      sealed.subarray(0, STREAM_HEADER_BYTES + CT_SEG),
      segmentsOf(other)[1] as Uint8Array,
    );
    expect(await rejected(mixed)).toBe(ErrorCode.DECRYPT_FAILED);
  });

  it('another context, another key, an empty input', async () => {
    const sealed = await seal(plaintextOf(100));
    expect(await rejected(sealed, utf8('other context'))).toBe(ErrorCode.DECRYPT_FAILED);
    const wrongKey = await errorOf(() =>
      collect(openStream(FORMAT, new Uint8Array(32), pieces(sealed, [4096]), CONTEXT)),
    );
    expect(wrongKey.code).toBe(ErrorCode.DECRYPT_FAILED);
    expect(await rejected(new Uint8Array(0))).toBe(ErrorCode.DECRYPT_FAILED);
    expect(await rejected(sealed.subarray(0, STREAM_HEADER_BYTES))).toBe(ErrorCode.DECRYPT_FAILED);
  });
});

/** Tink's layout: 1 KiB sealed segments, the header inside the first. */
const SEALED_FORMAT: StreamAeadFormat = { ...FORMAT, sealedSegments: true, version: 3 };
const FIRST_PT = 1024 - 16 - STREAM_HEADER_BYTES;
const REST_PT = 1024 - 16;

describe('stream AEAD with sealed segments (the header inside segment 0)', () => {
  const sealIn = async (plaintext: Uint8Array, sizes: readonly number[] = [4096]) =>
    collect(
      sealStream(await streamCipher(SEALED_FORMAT, KEY, HEADER, CONTEXT), pieces(plaintext, sizes)),
    );
  const openIn = (sealed: Uint8Array, sizes: readonly number[] = [4096]) =>
    collect(openStream(SEALED_FORMAT, KEY, pieces(sealed, sizes), CONTEXT));

  it('segment 0 holds header + tag less, the others a tag less', () => {
    expect(segmentPlaintextBytes(SEALED_FORMAT, 0)).toBe(FIRST_PT);
    expect(segmentPlaintextBytes(SEALED_FORMAT, 1)).toBe(REST_PT);
    expect(segmentPlaintextBytes(FORMAT, 0)).toBe(SEG);
    for (const [length, count] of [
      [0, 1],
      [FIRST_PT, 1],
      [FIRST_PT + 1, 2],
      [FIRST_PT + REST_PT, 2],
      [FIRST_PT + REST_PT + 1, 3],
    ] as const) {
      expect(streamSegmentCount(SEALED_FORMAT, length)).toBe(count);
    }
  });

  it('any length round-trips, and the stream cuts into whole segments of segmentBytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(0, 1, FIRST_PT - 1, FIRST_PT, FIRST_PT + 1, FIRST_PT + REST_PT, 3 * SEG),
        fc.integer({ min: 0, max: 4 * SEG }),
        fc.boolean(),
        fc.array(fc.integer({ min: 1, max: 3 * SEG }), { minLength: 1, maxLength: 4 }),
        async (edge, any, pickEdge, outSizes) => {
          const length = pickEdge ? edge : any;
          const plaintext = plaintextOf(length);
          const sealed = await sealIn(plaintext, outSizes);
          expect(sealed.length).toBe(streamSealedLength(SEALED_FORMAT, length));
          expect(equalBytes(await openIn(sealed, outSizes), plaintext)).toBe(true);
          // Chunks of exactly segmentBytes are whole segments: each opens on its own.
          const cipher = await streamCipher(SEALED_FORMAT, KEY, HEADER, CONTEXT);
          const count = Math.ceil(sealed.length / 1024);
          const opened: Uint8Array[] = [];
          for (let i = 0; i < count; i++) {
            const from = i === 0 ? STREAM_HEADER_BYTES : i * 1024;
            const chunk = sealed.subarray(from, (i + 1) * 1024);
            opened.push(await openSegment(cipher, i, chunk, i === count - 1));
          }
          expect(equalBytes(concat(...opened), plaintext)).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('every bit flip, truncation and swap of whole chunks is refused', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2 * SEG, max: 4 * SEG }),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        async (length, at, bit) => {
          const sealed = await sealIn(plaintextOf(length));
          const flipped = sealed.slice();
          const i = at % flipped.length;
          flipped[i] = (flipped[i] as number) ^ (1 << bit);
          const refused = async (bytes: Uint8Array) => (await errorOf(() => openIn(bytes))).code;
          expect(REJECTED).toContain(await refused(flipped));
          expect(await refused(sealed.subarray(0, i))).toBe(ErrorCode.DECRYPT_FAILED);
          const chunks = [1, 2].map((k) => sealed.subarray(k * 1024, (k + 1) * 1024));
          const swapped = concat(
            sealed.subarray(0, 1024),
            chunks[1] as Uint8Array,
            chunks[0] as Uint8Array,
            sealed.subarray(3 * 1024),
          );
          expect(await refused(swapped)).toBe(ErrorCode.DECRYPT_FAILED);
        },
      ),
      { numRuns: 60 },
    );
  });
});
