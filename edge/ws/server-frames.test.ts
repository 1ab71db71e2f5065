import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeServerFrame, encodeServerFrame } from '../../shared/wire/codec.ts';
import { SERVER_FRAME_MAX_BYTES } from '../../shared/wire/limits.ts';
import { encodeDeliver, encodePong, encodeStored } from './server-frames.ts';

const uuid = fc.uuid().map((u) => u.toLowerCase());
const timestamp = fc.integer({ min: 0, max: 8.64e15 });
const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });

describe('hand-written server frame encoders', () => {
  it('produce exactly the bytes of encodeServerFrame for deliver frames', () => {
    fc.assert(
      fc.property(
        fc.option(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), { nil: undefined }),
        bytes(16, 16),
        uuid,
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        bytes(1, 2000),
        timestamp,
        fc.option(timestamp, { nil: undefined }),
        (qid, id, from, fromDevice, body, sentAt, expiresAt) => {
          const fields = {
            ...(qid === undefined ? {} : { qid }),
            id,
            from,
            fromDevice,
            body,
            sentAt,
            ...(expiresAt === undefined ? {} : { expiresAt }),
          };
          const fast = encodeDeliver(fields);
          expect(fast).toEqual(encodeServerFrame({ t: 'deliver', ...fields }));
          expect(decodeServerFrame(fast)).toEqual({ t: 'deliver', ...fields });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('produce exactly the bytes of encodeServerFrame for stored and pong frames', () => {
    fc.assert(
      fc.property(
        bytes(16, 16),
        timestamp,
        fc.integer({ min: 0, max: 0xffff_ffff }),
        (id, t, n) => {
          expect(encodeStored(id, t)).toEqual(
            encodeServerFrame({ t: 'stored', id, serverTime: t }),
          );
          expect(encodePong(n)).toEqual(encodeServerFrame({ t: 'pong', n }));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuse a deliver frame over the relay frame cap with FRAME_TOO_LARGE', () => {
    const fields = {
      id: new Uint8Array(16),
      from: '00000000-0000-4000-8000-000000000000',
      fromDevice: 1,
      body: new Uint8Array(SERVER_FRAME_MAX_BYTES),
      sentAt: 0,
    };
    expect(() => encodeDeliver(fields)).toThrow(
      expect.objectContaining({ code: 'FRAME_TOO_LARGE' }),
    );
  });
});
