import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.ts';
import { errorOf } from '../testing/errors.ts';
import { PADDING_BLOCK, pad, paddedLength, unpad } from './padding.ts';

describe('pad', () => {
  it.each([
    [0, 160],
    [1, 160],
    [159, 160],
    [160, 320],
    [161, 320],
    [256, 320],
    [319, 320],
    [320, 480],
  ])('pads %i bytes to %i', (length, expected) => {
    const padded = pad(new Uint8Array(length).fill(7));
    expect(padded.length).toBe(expected);
    expect(paddedLength(length)).toBe(expected);
    expect(padded[length]).toBe(0x80);
    expect(padded.subarray(length + 1).every((b) => b === 0)).toBe(true);
  });

  it('round-trips any plaintext, including ones ending in 0x80 or zeros', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), (plaintext) => {
        const padded = pad(plaintext);
        expect(padded.length % PADDING_BLOCK).toBe(0);
        expect(unpad(padded)).toEqual(plaintext);
      }),
    );
  });
});

describe('unpad rejects', () => {
  it('an empty input', () => {
    expect(errorOf(() => unpad(new Uint8Array(0))).code).toBe(ErrorCode.PADDING_INVALID);
  });

  it('a length that is not a multiple of the block', () => {
    const padded = pad(new Uint8Array(10));
    expect(errorOf(() => unpad(padded.subarray(0, 159))).code).toBe(ErrorCode.PADDING_INVALID);
    expect(errorOf(() => unpad(new Uint8Array(161))).code).toBe(ErrorCode.PADDING_INVALID);
  });

  it('a block with no marker', () => {
    expect(errorOf(() => unpad(new Uint8Array(160))).code).toBe(ErrorCode.PADDING_INVALID);
  });

  it('a non-zero byte after the marker', () => {
    const padded = pad(new Uint8Array(10));
    padded[100] = 1;
    expect(errorOf(() => unpad(padded)).code).toBe(ErrorCode.PADDING_INVALID);
  });

  it('a marker outside the final block (a whole block of zero padding)', () => {
    const bytes = new Uint8Array(320);
    bytes[100] = 0x80;
    expect(errorOf(() => unpad(bytes)).code).toBe(ErrorCode.PADDING_INVALID);
  });

  it('a final byte that is neither zero nor the marker', () => {
    const bytes = new Uint8Array(160).fill(0x41);
    expect(errorOf(() => unpad(bytes)).code).toBe(ErrorCode.PADDING_INVALID);
  });
});
