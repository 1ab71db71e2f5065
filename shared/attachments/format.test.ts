// PRLA v1: round trips at the sizes that matter, determinism given the key
// (resume), and every alteration of the blob or mismatch with the pointer is
// ATTACHMENT_TAMPERED.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Bytes, concat, equalBytes } from '../bytes.ts';
import { STREAM_HEADER_BYTES } from '../crypto/stream-aead.ts';
import { ErrorCode } from '../errors.ts';
import { errorOf } from '../testing/errors.ts';
import {
  ATTACHMENT_SEGMENT_BYTES,
  attachmentBlobSize,
  decryptAttachment,
  encryptAttachment,
} from './format.ts';
import { paddedSize } from './padding.ts';

const KEY = new Uint8Array(32).fill(0x42);
const SEG = ATTACHMENT_SEGMENT_BYTES;

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

const encrypt = (file: Uint8Array, size = file.length, key = KEY) =>
  collect(encryptAttachment(key, size, once(file)));
const decrypt = (blob: Uint8Array, size: number, key = KEY) =>
  collect(decryptAttachment(key, size, once(blob)));

describe('PRLA v1 round trip', () => {
  for (const size of [0, 1, 541, 542, SEG - 1, SEG, SEG + 1, 3 * SEG + 17]) {
    it(`${size} bytes`, async () => {
      const file = fileOf(size);
      const blob = await encrypt(file);
      expect(blob.length).toBe(attachmentBlobSize(size));
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

describe('PRLA v1 rejects', () => {
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
});
