// PRLA v1 and v2: round trips at the sizes that matter (each version's own
// segment boundaries), determinism given the key (resume), and every
// alteration of the blob or mismatch with the pointer is ATTACHMENT_TAMPERED.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Bytes, concat, equalBytes } from '../bytes.ts';
import {
  openSegment,
  STREAM_HEADER_BYTES,
  streamCipher,
  streamSegmentCount,
} from '../crypto/stream-aead.ts';
import { ErrorCode } from '../errors.ts';
import { errorOf } from '../testing/errors.ts';
import {
  ATTACHMENT_CHUNK_BYTES,
  ATTACHMENT_DEFAULT_MAX_BYTES,
  ATTACHMENT_FILE_MAX_BYTES,
} from '../wire/limits.ts';
import {
  ATTACHMENT_FORMAT_VERSION,
  type AttachmentFormatVersion,
  attachmentBlobSize,
  attachmentHeader,
  attachmentSegmentBytes,
  attachmentStreamFormat,
  decryptAttachment,
  encryptAttachment,
} from './format.ts';
import { paddedSize } from './padding.ts';

const KEY = new Uint8Array(32).fill(0x42);

async function collect(source: AsyncIterable<Uint8Array>): Promise<Bytes> {
  const parts: Uint8Array[] = [];
  for await (const part of source) parts.push(part);
  return concat(...parts);
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  if (bytes.length > 0) yield bytes;
}

function fileOf(length: number): Bytes {
  return Uint8Array.from({ length }, (_, i) => (i * 13 + 1) & 0xff);
}

const encryptIn = (
  version: AttachmentFormatVersion,
  file: Uint8Array,
  size = file.length,
  key = KEY,
) => collect(encryptAttachment(key, size, once(file), version));
const encrypt = (file: Uint8Array, size = file.length, key = KEY) =>
  encryptIn(ATTACHMENT_FORMAT_VERSION, file, size, key);
const decrypt = (blob: Uint8Array, size: number, key = KEY) =>
  collect(decryptAttachment(key, size, once(blob)));

describe.each([1, 2] as const)('PRLA v%i round trip', (version) => {
  const SEG = attachmentSegmentBytes(version);
  const FIRST = attachmentSegmentBytes(version, 0);
  const encrypt = (file: Uint8Array, size = file.length, key = KEY) =>
    encryptIn(version, file, size, key);

  const sizes = [0, 1, 541, 542, FIRST - 1, FIRST, FIRST + 1, SEG - 1, SEG, SEG + 1, 3 * SEG + 17];
  for (const size of [...new Set(sizes)]) {
    it(`${size} bytes`, async () => {
      const file = fileOf(size);
      const blob = await encrypt(file);
      expect(blob.length).toBe(attachmentBlobSize(size, version));
      expect(equalBytes(await decrypt(blob, size), file)).toBe(true);
    });
  }

  it('the blob is a function of key and file (a resumed upload re-creates it)', async () => {
    const file = fileOf(SEG + 5);
    expect(equalBytes(await encrypt(file), await encrypt(file))).toBe(true);
    expect(await encrypt(file, file.length, new Uint8Array(32).fill(1))).not.toEqual(
      await encrypt(file),
    );
  });

  it('the relay sees only the bucket: sizes in one bucket give blobs of one length', async () => {
    expect(paddedSize(570)).toBe(paddedSize(590));
    expect((await encrypt(fileOf(570))).length).toBe((await encrypt(fileOf(590))).length);
  });
});

describe.each([1, 2] as const)('PRLA v%i rejects', (version) => {
  const SEG = attachmentSegmentBytes(version);
  const encrypt = (file: Uint8Array, size = file.length, key = KEY) =>
    encryptIn(version, file, size, key);

  it('a file that is not the announced size', async () => {
    expect((await errorOf(() => encrypt(fileOf(10), 11))).code).toBe(ErrorCode.ATTACHMENT_INVALID);
    expect((await errorOf(() => encrypt(fileOf(12), 11))).code).toBe(ErrorCode.ATTACHMENT_INVALID);
  });

  it('any bit flip, truncation or extension of the blob', async () => {
    const file = fileOf(2 * SEG + 100);
    const blob = await encrypt(file);
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 0, max: 7 }), async (at, bit) => {
        const flipped = blob.slice();
        const i = at % blob.length;
        flipped[i] = (flipped[i] as number) ^ (1 << bit);
        expect((await errorOf(() => decrypt(flipped, file.length))).code).toBe(
          ErrorCode.ATTACHMENT_TAMPERED,
        );
        const cut = at % blob.length;
        expect((await errorOf(() => decrypt(blob.subarray(0, cut), file.length))).code).toBe(
          ErrorCode.ATTACHMENT_TAMPERED,
        );
      }),
      { numRuns: 40 },
    );
    expect((await errorOf(() => decrypt(concat(blob, new Uint8Array(1)), file.length))).code).toBe(
      ErrorCode.ATTACHMENT_TAMPERED,
    );
  });

  it('a pointer size from another bucket, or a wrong key', async () => {
    const file = fileOf(SEG);
    const blob = await encrypt(file);
    for (const size of [paddedSize(SEG) + 1, 10]) {
      expect((await errorOf(() => decrypt(blob, size))).code).toBe(ErrorCode.ATTACHMENT_TAMPERED);
    }
    expect((await errorOf(() => decrypt(blob, SEG, new Uint8Array(32)))).code).toBe(
      ErrorCode.ATTACHMENT_TAMPERED,
    );
  });

  it('a pointer size in the same bucket but not the file size: the padding is not zero', async () => {
    const file = fileOf(1000);
    const blob = await encrypt(file);
    expect(paddedSize(990)).toBe(paddedSize(1000));
    expect((await errorOf(() => decrypt(blob, 990))).code).toBe(ErrorCode.ATTACHMENT_TAMPERED);
  });

  it('a header with another magic', async () => {
    const blob = (await encrypt(fileOf(10))).slice();
    blob[0] = 0x58;
    expect(blob.length).toBeGreaterThan(STREAM_HEADER_BYTES);
    expect((await errorOf(() => decrypt(blob, 10))).code).toBe(ErrorCode.ATTACHMENT_TAMPERED);
  });

  it('segments swapped or a segment repeated', async () => {
    const file = fileOf(3 * SEG);
    const blob = await encrypt(file);
    const seg = SEG + 16;
    const at = (i: number) =>
      blob.subarray(STREAM_HEADER_BYTES + i * seg, STREAM_HEADER_BYTES + (i + 1) * seg);
    const header = blob.subarray(0, STREAM_HEADER_BYTES);
    const tail = blob.subarray(STREAM_HEADER_BYTES + 3 * seg);
    for (const order of [
      [1, 0, 2],
      [0, 2, 1],
      [0, 0, 2],
      [0, 1, 1],
    ]) {
      const reordered = concat(header, ...order.map(at), tail);
      expect(reordered.length).toBe(blob.length);
      expect((await errorOf(() => decrypt(reordered, file.length))).code).toBe(
        ErrorCode.ATTACHMENT_TAMPERED,
      );
    }
  });

  it('a header claiming another version', async () => {
    const blob = (await encrypt(fileOf(SEG + 1))).slice();
    for (const other of [version === 1 ? 2 : 1, 0, 3, 255]) {
      blob[4] = other;
      expect((await errorOf(() => decrypt(blob, SEG + 1))).code).toBe(
        ErrorCode.ATTACHMENT_TAMPERED,
      );
    }
  });
});

describe('PRLA versions', () => {
  it("a file of the extension's largest size fits a relay's default limit in every version", () => {
    for (const v of [1, 2] as const) {
      expect(attachmentBlobSize(ATTACHMENT_FILE_MAX_BYTES, v)).toBeLessThanOrEqual(
        ATTACHMENT_DEFAULT_MAX_BYTES,
      );
    }
    expect(attachmentBlobSize(ATTACHMENT_FILE_MAX_BYTES, 2)).toBe(107_337_417);
  });

  it('new blobs are v2, sealed segments of one relay chunk (1 MiB, the header in the first)', async () => {
    expect(ATTACHMENT_FORMAT_VERSION).toBe(2);
    expect(attachmentSegmentBytes(2, 0)).toBe(ATTACHMENT_CHUNK_BYTES - STREAM_HEADER_BYTES - 16);
    expect(attachmentSegmentBytes(2)).toBe(ATTACHMENT_CHUNK_BYTES - 16);
    const blob = await encrypt(fileOf(10));
    expect(blob[4]).toBe(2);
    expect(blob[5]).toBe(20);
  });

  it('a v2 blob cut into relay chunks: every chunk is one whole segment', async () => {
    const size = 2 * ATTACHMENT_CHUNK_BYTES + 12_345;
    const blob = await encrypt(fileOf(size));
    const cipher = await streamCipher(attachmentStreamFormat(2), KEY, attachmentHeader(KEY));
    const count = Math.ceil(blob.length / ATTACHMENT_CHUNK_BYTES);
    expect(count).toBeGreaterThan(2);
    let opened = 0;
    for (let i = 0; i < count; i++) {
      const from = i === 0 ? STREAM_HEADER_BYTES : i * ATTACHMENT_CHUNK_BYTES;
      const chunk = blob.subarray(from, (i + 1) * ATTACHMENT_CHUNK_BYTES);
      opened += (await openSegment(cipher, i, chunk, i === count - 1)).length;
    }
    expect(opened).toBe(paddedSize(size));
  });

  it('v1 and v2 under one file key share no stream key (same nonce, different ciphertext)', async () => {
    const file = fileOf(600);
    const v1 = await encryptIn(1, file);
    const v2 = await encryptIn(2, file);
    expect(v1.length).toBe(v2.length);
    expect(equalBytes(v1.subarray(0, 4), v2.subarray(0, 4))).toBe(true);
    const body = (b: Uint8Array) => b.subarray(STREAM_HEADER_BYTES, STREAM_HEADER_BYTES + 16);
    expect(equalBytes(body(v1), body(v2))).toBe(false);
  });

  it('a 500 MB file costs a v2 blob 16 bytes per MiB less than v1', () => {
    const size = 500 * 1000 * 1000;
    const segments = (v: AttachmentFormatVersion) =>
      streamSegmentCount(attachmentStreamFormat(v), paddedSize(size));
    expect(attachmentBlobSize(size, 1) - attachmentBlobSize(size, 2)).toBe(
      16 * (segments(1) - segments(2)),
    );
  });
});
