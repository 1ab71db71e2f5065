// The frame vectors under Deno (the relay's runtime): the same frames encode to
// the same bytes as under Node (codec.test.ts checks the same file) and decode
// back to equal values; the decoder's error codes are the same too.
import { deepStrictEqual, ok, strictEqual } from 'node:assert/strict';
import { fromHex, toHex } from '../bytes.ts';
import { ErrorCode, isParleyError } from '../errors.ts';
import {
  decodeClientFrame,
  decodeServerFrame,
  encodeClientFrame,
  encodeServerFrame,
} from './codec.ts';
import { sampleClientFrames, sampleServerFrames } from './testing/samples.ts';
import vectors from './vectors/frames.json' with { type: 'json' };

Deno.test('frame vectors: same bytes and round trip under Deno', () => {
  strictEqual(
    vectors.vectors.length,
    Object.keys(sampleClientFrames).length + Object.keys(sampleServerFrames).length,
  );
  for (const { direction, name, hex } of vectors.vectors) {
    if (direction === 'client') {
      const frame = sampleClientFrames[name];
      ok(frame, name);
      const bytes = encodeClientFrame(frame);
      strictEqual(bytes.constructor, Uint8Array, `${name}: plain Uint8Array`);
      strictEqual(toHex(bytes), hex, name);
      deepStrictEqual(decodeClientFrame(fromHex(hex)), frame, name);
    } else {
      const frame = sampleServerFrames[name];
      ok(frame, name);
      strictEqual(toHex(encodeServerFrame(frame)), hex, name);
      deepStrictEqual(decodeServerFrame(fromHex(hex)), frame, name);
    }
  }
});

Deno.test('frame decoding errors under Deno', () => {
  const cases: [string, ErrorCode][] = [
    ['a2617464', ErrorCode.FRAME_MALFORMED],
    ['a16174c16470696e67', ErrorCode.FRAME_MALFORMED],
    ['a16174646e6f7065', ErrorCode.FRAME_UNKNOWN_TYPE],
    ['a261746470696e67616e20', ErrorCode.FRAME_INVALID], // ping with n = -1
  ];
  for (const [hex, code] of cases) {
    try {
      decodeClientFrame(fromHex(hex));
      throw new Error(`accepted ${hex}`);
    } catch (e) {
      ok(isParleyError(e, code), `${hex}: expected ${code}, got ${String(e)}`);
    }
  }
});
