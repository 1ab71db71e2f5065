import fc from 'fast-check';
import { describe, it } from 'vitest';
import { assertDecoderTotal, damaged } from '../testing/decoder-property.ts';
import {
  decodeClientFrame,
  decodeServerFrame,
  encodeClientFrame,
  encodeServerFrame,
  FRAME_DECODE_ERRORS,
} from './codec.ts';
import { clientFrameArb, serverFrameArb } from './testing/arbitraries.ts';

// codec.test.ts covers random bytes and field-level mutations; these damage
// the bytes of valid frames of every type (cut, extended, bytes changed).
describe('frames: damaged valid frames give a frame or a FRAME_* error', () => {
  it('decodeClientFrame', async () => {
    await assertDecoderTotal(
      clientFrameArb.chain((frame) => damaged(encodeClientFrame(frame))),
      decodeClientFrame,
      FRAME_DECODE_ERRORS,
    );
  });

  it('decodeServerFrame', async () => {
    await assertDecoderTotal(
      serverFrameArb.chain((frame) => damaged(encodeServerFrame(frame))),
      decodeServerFrame,
      FRAME_DECODE_ERRORS,
    );
  });

  it('either decoder on the other side’s frames', async () => {
    await assertDecoderTotal(
      fc.oneof(
        clientFrameArb.map((f) => ({ bytes: encodeClientFrame(f), asClient: false })),
        serverFrameArb.map((f) => ({ bytes: encodeServerFrame(f), asClient: true })),
      ),
      ({ bytes, asClient }) => (asClient ? decodeClientFrame(bytes) : decodeServerFrame(bytes)),
      FRAME_DECODE_ERRORS,
      { numRuns: 300 },
    );
  });
});
