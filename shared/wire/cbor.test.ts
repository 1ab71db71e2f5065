import { Encoder } from 'cbor-x';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes.ts';
import { ErrorCode, isParleyError } from '../errors.ts';
import { decodeCbor, encodeCbor, scanProfile } from './cbor.ts';
import { CBOR_MAX_DEPTH } from './limits.ts';

function malformedReason(hex: string): string {
  try {
    decodeCbor(fromHex(hex));
  } catch (e) {
    if (isParleyError(e, ErrorCode.FRAME_MALFORMED)) return String(e.details?.reason);
    throw e;
  }
  throw new Error(`accepted ${hex}`);
}

describe('CBOR profile', () => {
  it.each([
    ['', 'empty input'],
    ['80', 'top level is not a map'],
    ['01', 'top level is not a map'],
    ['6174', 'top level is not a map'],
    ['a16174c101', 'tags are not allowed'], // t: 1(1) (a Date in cbor-x)
    ['a16174d9dfff83000000', 'tags are not allowed'], // cbor-x record extension
    ['a16174d81c80', 'tags are not allowed'], // shared-reference tag
    ['a16174fb3ff8000000000000', 'floats and extended simple values are not allowed'],
    ['a16174f93c00', 'floats and extended simple values are not allowed'],
    ['a16174f820', 'floats and extended simple values are not allowed'],
    ['a16174f7', 'unsupported simple value'], // undefined
    ['a16174f0', 'unsupported simple value'],
    ['bf6174f5ff', 'indefinite lengths are not allowed'],
    ['a161749f01ff', 'indefinite lengths are not allowed'],
    ['a1617400ff', 'trailing bytes after the frame'],
    ['a10102', 'map keys must be text strings'],
    ['a1410102', 'map keys must be text strings'],
    ['a180f5', 'map keys must be text strings'],
    ['a2617401617402', 'duplicate map key'],
    ['a1617462c328', 'text is not valid UTF-8'],
    ['a16174', 'truncated'],
    ['a2617401', 'truncated'],
    ['a1617445010203', 'truncated'],
    ['a161741b00000001', 'truncated'],
    ['a161749bffffffffffffffff', 'array too large'],
    ['b8ff', 'map too large'],
    ['a161741c', 'reserved additional information'],
    [`a17821${'61'.repeat(33)}01`, 'map key too long'],
    ['a2426161016161', 'map keys must be text strings'],
    ['a3616101616202616103', 'duplicate map key'],
  ])('rejects %s (%s)', (hex, reason) => {
    expect(malformedReason(hex)).toBe(reason);
  });

  it('limits nesting depth', () => {
    const nested = (depth: number) => `a16174${'81'.repeat(depth - 1)}01`;
    expect(() => scanProfile(fromHex(nested(CBOR_MAX_DEPTH)))).not.toThrow();
    expect(malformedReason(nested(CBOR_MAX_DEPTH + 1))).toBe('nested too deeply');
  });

  it('accepts empty containers anywhere', () => {
    expect(decodeCbor(fromHex('a3616180616282' + '60a0' + '616340'))).toEqual({
      a: [],
      b: ['', {}],
      c: new Uint8Array(0),
    });
    expect(decodeCbor(fromHex('a0'))).toEqual({});
  });

  it('decodes byte strings as plain, unaliased Uint8Arrays', () => {
    const input = fromHex('a1617443010203');
    const { t } = decodeCbor(input) as { t: Uint8Array };
    expect(t.constructor).toBe(Uint8Array);
    expect(t.byteOffset).toBe(0);
    expect(t.buffer.byteLength).toBe(3);
    input[4] = 0xff;
    expect([...t]).toEqual([1, 2, 3]);
  });

  it('does not let a __proto__ key touch the prototype', () => {
    // {"__proto__": {"polluted": true}}
    const value = decodeCbor(fromHex('a1695f5f70726f746f5f5fa168706f6c6c75746564f5'));
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect((value as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('decodes integers beyond 2^53 to numbers that are not safe integers', () => {
    const { n } = decodeCbor(fromHex('a1616e1b0020000000000001')) as { n: number };
    expect(typeof n).toBe('number');
    expect(Number.isSafeInteger(n)).toBe(false);
  });
});

describe('CBOR encoding', () => {
  it('returns a plain Uint8Array, not a Buffer', () => {
    const bytes = encodeCbor({ t: 'x' });
    expect(bytes.constructor).toBe(Uint8Array);
    expect(bytes.byteOffset).toBe(0);
    expect(bytes.buffer.byteLength).toBe(bytes.length);
  });

  it('sorts keys by length, then bytewise, whatever the insertion order', () => {
    const a = encodeCbor({ zz: 1, t: 'x', b: 2, aaa: [] });
    const b = encodeCbor({ aaa: [], b: 2, t: 'x', zz: 1 });
    expect(toHex(a)).toBe(toHex(b));
    expect(toHex(a)).toBe('a46162026174617862' + '7a7a' + '016361616180');
  });

  it('writes large integers as CBOR integers, never floats', () => {
    expect(toHex(encodeCbor({ n: 2 ** 32 }))).toBe('a1616e1b0000000100000000');
    expect(toHex(encodeCbor({ n: -(2 ** 40) }))).toBe('a1616e3b000000ffffffffff');
    expect(toHex(encodeCbor({ n: 0xffff_ffff }))).toBe('a1616e1affffffff');
  });

  it('omits undefined members and rejects values outside the profile', () => {
    expect(toHex(encodeCbor({ a: undefined, t: 1 }))).toBe('a1617401');
    expect(() => encodeCbor({ n: 1.5 })).toThrow(/safe integers/);
    expect(() => encodeCbor({ n: Number.NaN })).toThrow(/safe integers/);
    expect(() => encodeCbor({ f: () => 1 })).toThrow(/unsupported/);
    expect(() => encodeCbor({ b: 1n })).toThrow(/unsupported/);
  });
});

/** Values of the profile, for round-trip properties. */
const profileValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.maxSafeInteger(),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 40 }).map((a) => Uint8Array.from(a)),
    fc.array(tie('value'), { maxLength: 5 }),
    tie('map'),
  ),
  map: fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), tie('value'), { maxKeys: 6 }),
}));

describe('CBOR properties', () => {
  it('random bytes either decode to a map or fail with FRAME_MALFORMED', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          const value = decodeCbor(bytes);
          expect(typeof value).toBe('object');
        } catch (e) {
          expect(isParleyError(e, ErrorCode.FRAME_MALFORMED)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('whatever cbor-x itself can encode (tags, floats, Dates, Maps...) never escapes as a foreign error', () => {
    const permissive = new Encoder({ useRecords: true, structuredClone: true });
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string({ maxLength: 5 }),
          fc.anything({
            withMap: true,
            withSet: true,
            withDate: true,
            withTypedArray: true,
            withBigInt: true,
          }),
        ),
        (value) => {
          const bytes = permissive.encode(value);
          try {
            decodeCbor(bytes);
          } catch (e) {
            expect(isParleyError(e, ErrorCode.FRAME_MALFORMED)).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('profile values round-trip exactly, and re-encoding is byte-identical', () => {
    fc.assert(
      fc.property(profileValue.map, (value) => {
        const bytes = encodeCbor(value as Record<string, unknown>);
        const decoded = decodeCbor(bytes);
        expect(decoded).toEqual(value);
        expect(toHex(encodeCbor(decoded))).toBe(toHex(bytes));
      }),
      { numRuns: 500 },
    );
  });

  it('every truncation of a valid encoding is rejected', () => {
    fc.assert(
      fc.property(profileValue.map, (value) => {
        const bytes = encodeCbor(value as Record<string, unknown>);
        for (let cut = 0; cut < bytes.length; cut++) {
          expect(() => decodeCbor(bytes.subarray(0, cut))).toThrow(/Cannot decode frame/);
        }
      }),
      { numRuns: 200 },
    );
  });
});
