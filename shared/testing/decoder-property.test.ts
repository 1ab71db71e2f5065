import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ParleyError } from '../errors.ts';
import { assertDecoderTotal, damaged, misbehaviour, untrustedBytes } from './decoder-property.ts';

const BAD = 'BAD_THING';

function strictDecoder(bytes: Uint8Array): number {
  if (bytes.length !== 4) throw new ParleyError(BAD, 'length');
  return new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0);
}

describe('the decoder property', () => {
  it('accepts values and the codec’s own codes', async () => {
    await assertDecoderTotal(untrustedBytes({ maxLength: 8 }), strictDecoder, [BAD], {
      numRuns: 200,
    });
  });

  it('reports a foreign error, another code, or a decoder that ignores its length check', async () => {
    expect(await misbehaviour(strictDecoder, new Uint8Array(3), [])).toBe(
      'ParleyError BAD_THING: length',
    );
    const careless = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.length).getUint32(0);
    expect(await misbehaviour(careless, new Uint8Array(3), [BAD])).toMatch(/^RangeError/);
    await expect(
      assertDecoderTotal(untrustedBytes({ maxLength: 8 }), careless, [BAD], { numRuns: 200 }),
    ).rejects.toThrow(/decoder threw RangeError/);
  });

  it('damages a sample by cutting, extending or changing bytes', () => {
    const sample = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    fc.assert(
      fc.property(damaged(sample), (bytes) => {
        const same = bytes.length === sample.length && bytes.every((b, i) => b === sample[i]);
        const prefix = bytes.every((b, i) => i >= sample.length || b === sample[i]);
        expect(same || prefix || bytes.length === sample.length).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
