import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes.ts';
import { ErrorCode, isParleyError } from '../errors.ts';
import { errorOf } from '../testing/errors.ts';
import { encodeCbor } from './cbor.ts';
import {
  decodeClientFrame,
  decodeServerFrame,
  encodeClientFrame,
  encodeServerFrame,
  FRAME_DECODE_ERRORS,
} from './codec.ts';
import type { ClientFrame } from './frames.ts';
import {
  FRAME_MAX_BYTES,
  MAX_DEVICES_PER_USER,
  PREAUTH_FRAME_MAX_BYTES,
  SEND_MAX_RECIPIENT_USERS,
  SERVER_FRAME_MAX_BYTES,
} from './limits.ts';
import { clientFrameArb, serverFrameArb } from './testing/arbitraries.ts';
import { BOB, sampleClientFrames, sampleServerFrames, seq } from './testing/samples.ts';
import vectors from './vectors/frames.json' with { type: 'json' };

const clientCode = (bytes: Uint8Array, maxBytes?: number) =>
  errorOf(() => decodeClientFrame(bytes, maxBytes === undefined ? {} : { maxBytes })).code;

describe('vectors (vectors/frames.json, also checked under Deno)', () => {
  it.each(vectors.vectors.map((x) => [x.direction, x.name, x.hex] as const))(
    '%s %s',
    (direction, name, hex) => {
      if (direction === 'client') {
        const frame = sampleClientFrames[name];
        if (frame === undefined) throw new Error(name);
        expect(toHex(encodeClientFrame(frame))).toBe(hex);
        expect(decodeClientFrame(fromHex(hex))).toEqual(frame);
      } else {
        const frame = sampleServerFrames[name];
        if (frame === undefined) throw new Error(name);
        expect(toHex(encodeServerFrame(frame))).toBe(hex);
        expect(decodeServerFrame(fromHex(hex))).toEqual(frame);
      }
    },
  );

  it('covers every frame type in both directions', () => {
    const types = new Set(
      vectors.vectors.map((x) => `${x.direction}:${x.hex.slice(0, 0)}${x.name.split(' ')[0]}`),
    );
    for (const t of ['auth', 'unlock', 'send', 'ack', 'ping'])
      expect(types.has(`client:${t}`)).toBe(true);
    for (const t of [
      'challenge',
      'ready',
      'stored',
      'mismatch',
      'deliver',
      'drained',
      'pong',
      'error',
    ]) {
      expect(types.has(`server:${t}`)).toBe(true);
    }
  });
});

describe('decoding order and codes', () => {
  it('checks the size before anything else', () => {
    const garbage = new Uint8Array(FRAME_MAX_BYTES + 1).fill(0xff);
    const e = errorOf(() => decodeClientFrame(garbage));
    expect(e.code).toBe(ErrorCode.FRAME_TOO_LARGE);
    expect(e.details).toEqual({ size: FRAME_MAX_BYTES + 1, max: FRAME_MAX_BYTES });
    expect(clientCode(new Uint8Array(SERVER_FRAME_MAX_BYTES + 1), undefined)).toBe(
      ErrorCode.FRAME_MALFORMED,
    );
    expect(errorOf(() => decodeServerFrame(new Uint8Array(SERVER_FRAME_MAX_BYTES + 1))).code).toBe(
      ErrorCode.FRAME_TOO_LARGE,
    );
  });

  it('applies the pre-auth cap when asked', () => {
    const send = encodeClientFrame(
      sampleClientFrames['send (shared body, expiring)'] as ClientFrame,
    );
    expect(send.length).toBeGreaterThan(PREAUTH_FRAME_MAX_BYTES / 4);
    const auth = encodeClientFrame(sampleClientFrames.auth as ClientFrame);
    expect(decodeClientFrame(auth, { maxBytes: PREAUTH_FRAME_MAX_BYTES }).t).toBe('auth');
    expect(clientCode(new Uint8Array(PREAUTH_FRAME_MAX_BYTES + 1), PREAUTH_FRAME_MAX_BYTES)).toBe(
      ErrorCode.FRAME_TOO_LARGE,
    );
  });

  it.each([
    ['truncated CBOR', 'a2617464'],
    ['garbage', 'ffffffff'],
    ['a top-level array', '826174647069'],
    ['a top-level string', '6470696e67'],
    ['a tagged value', 'a16174c16470696e67'],
    ['empty input', ''],
  ])('%s is FRAME_MALFORMED', (_, hex) => {
    expect(clientCode(fromHex(hex))).toBe(ErrorCode.FRAME_MALFORMED);
  });

  it('rejects non-binary input as FRAME_MALFORMED', () => {
    expect(errorOf(() => decodeClientFrame('ping' as unknown as Uint8Array)).code).toBe(
      ErrorCode.FRAME_MALFORMED,
    );
  });

  it.each([
    ['an unknown type', { t: 'subscribe' }],
    ['a prototype name', { t: 'toString' }],
    ['__proto__', { t: '__proto__' }],
    ['no type', { n: 1 }],
    ['a numeric type', { t: 1 }],
    ['a relay frame type', { t: 'deliver' }],
  ])('%s is FRAME_UNKNOWN_TYPE', (_, value) => {
    const e = errorOf(() => decodeClientFrame(encodeCbor(value)));
    expect(e.code).toBe(ErrorCode.FRAME_UNKNOWN_TYPE);
    expect(e.message).not.toContain(String((value as { t?: unknown }).t));
  });

  it('a client frame sent to a client is FRAME_UNKNOWN_TYPE', () => {
    const auth = encodeClientFrame(sampleClientFrames.auth as ClientFrame);
    expect(errorOf(() => decodeServerFrame(auth)).code).toBe(ErrorCode.FRAME_UNKNOWN_TYPE);
  });

  it('a schema failure is FRAME_INVALID with frame, path and reason, and no value', () => {
    const secret = 'SECRET-VALUE-0123456789';
    const e = errorOf(() =>
      decodeClientFrame(encodeCbor({ t: 'auth', user: secret, device: 1, signature: seq(64) })),
    );
    expect(e.code).toBe(ErrorCode.FRAME_INVALID);
    expect(e.details).toEqual({ frame: 'auth', path: 'user', reason: 'length' });
    expect(e.message).toBe('Cannot decode auth frame: invalid field user (length)');
    expect(JSON.stringify(e.toJSON())).not.toContain(secret);
  });
});

describe('encoding', () => {
  it('validates before encoding', () => {
    const bad = { t: 'ping', n: -1 } as unknown as ClientFrame;
    const e = errorOf(() => encodeClientFrame(bad));
    expect(e.code).toBe(ErrorCode.FRAME_INVALID);
    expect(e.details).toEqual({ frame: 'ping', path: 'n', reason: 'min_value' });
    expect(errorOf(() => encodeServerFrame({ t: 'nope' } as never)).code).toBe(
      ErrorCode.FRAME_UNKNOWN_TYPE,
    );
  });

  it('drops nothing and adds nothing: decode(encode(f)) equals f', () => {
    const frame = sampleServerFrames.deliver;
    if (frame === undefined) throw new Error('sample');
    expect(decodeServerFrame(encodeServerFrame(frame))).toStrictEqual(frame);
  });

  it('a maximal per-device group send fits the frame cap with ~420-byte bodies', () => {
    const frame: ClientFrame = {
      t: 'send',
      id: seq(16),
      to: Array.from({ length: SEND_MAX_RECIPIENT_USERS }, (_, u) => ({
        user: `00000000-0000-4000-8000-${u.toString(16).padStart(12, '0')}`,
        devices: Array.from({ length: MAX_DEVICES_PER_USER }, (_, d) => ({
          device: d + 1,
          body: seq(420, d),
        })),
      })),
    };
    const bytes = encodeClientFrame(frame);
    expect(bytes.length).toBeLessThanOrEqual(FRAME_MAX_BYTES);
    expect(decodeClientFrame(bytes)).toEqual(frame);
  });

  it('an oversized send fails at the sender with FRAME_TOO_LARGE', () => {
    const frame: ClientFrame = {
      t: 'send',
      id: seq(16),
      to: Array.from({ length: SEND_MAX_RECIPIENT_USERS }, (_, u) => ({
        user: `00000000-0000-4000-8000-${u.toString(16).padStart(12, '0')}`,
        devices: Array.from({ length: MAX_DEVICES_PER_USER }, (_, d) => ({
          device: d + 1,
          body: seq(600, d),
        })),
      })),
    };
    const e = errorOf(() => encodeClientFrame(frame));
    expect(e.code).toBe(ErrorCode.FRAME_TOO_LARGE);
    expect(e.details?.max).toBe(FRAME_MAX_BYTES);
  });
});

describe('properties', () => {
  const onlyDecodeErrors = (run: () => unknown) => {
    try {
      run();
    } catch (e) {
      if (!(isParleyError(e) && FRAME_DECODE_ERRORS.includes(e.code))) throw e;
    }
  };

  it('random bytes never throw anything but the four frame codes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        onlyDecodeErrors(() => decodeClientFrame(bytes));
        onlyDecodeErrors(() => decodeServerFrame(bytes));
      }),
      { numRuns: 5000 },
    );
  });

  it('random maps with a known type never throw anything but the four frame codes', () => {
    const type = fc.constantFrom(
      'auth',
      'unlock',
      'send',
      'ack',
      'ping',
      'challenge',
      'deliver',
      'mismatch',
      'error',
    );
    const field = fc.oneof(
      fc.integer(),
      fc.string({ maxLength: 40 }),
      fc.uint8Array({ maxLength: 70 }).map((a) => Uint8Array.from(a)),
      fc.boolean(),
      fc.constant(null),
      fc.array(
        fc.oneof(
          fc.integer(),
          fc.dictionary(fc.constantFrom('user', 'devices', 'device', 'body'), fc.nat()),
        ),
        {
          maxLength: 4,
        },
      ),
    );
    const keys = fc.constantFrom(
      'user',
      'device',
      'signature',
      'id',
      'to',
      'qids',
      'n',
      'body',
      'nonce',
      'users',
      'code',
    );
    fc.assert(
      fc.property(type, fc.dictionary(keys, field), (t, rest) => {
        const bytes = encodeCbor({ ...rest, t });
        onlyDecodeErrors(() => decodeClientFrame(bytes));
        onlyDecodeErrors(() => decodeServerFrame(bytes));
      }),
      { numRuns: 3000 },
    );
  });

  it('valid frames round-trip exactly and re-encode to the same bytes', () => {
    fc.assert(
      fc.property(clientFrameArb, (frame) => {
        const bytes = encodeClientFrame(frame);
        const decoded = decodeClientFrame(bytes);
        expect(decoded).toStrictEqual(frame);
        expect(toHex(encodeClientFrame(decoded))).toBe(toHex(bytes));
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(serverFrameArb, (frame) => {
        const bytes = encodeServerFrame(frame);
        const decoded = decodeServerFrame(bytes);
        expect(decoded).toStrictEqual(frame);
        expect(toHex(encodeServerFrame(decoded))).toBe(toHex(bytes));
      }),
      { numRuns: 500 },
    );
  });

  type Mutated = { bytes: Uint8Array; expect: string };
  const frameArb = fc.oneof(
    clientFrameArb.map((f) => ({ frame: f as Record<string, unknown>, side: 'client' as const })),
    serverFrameArb.map((f) => ({ frame: f as Record<string, unknown>, side: 'server' as const })),
  );
  const decode = (side: 'client' | 'server', bytes: Uint8Array) =>
    side === 'client' ? decodeClientFrame(bytes) : decodeServerFrame(bytes);

  it('mutated frames are rejected with the right code', () => {
    const mutation = fc.constantFrom(
      'drop',
      'add',
      'wrong-type',
      'oversize-field',
      'oversize-frame',
      'truncate',
    );
    fc.assert(
      fc.property(frameArb, mutation, fc.nat(), ({ frame, side }, kind, pick): void => {
        const keys = Object.keys(frame).filter((k) => k !== 't');
        const key = keys[pick % Math.max(1, keys.length)];
        let m: Mutated | undefined;
        const encode = (f: Record<string, unknown>) => encodeCbor(f);
        switch (kind) {
          case 'drop': {
            if (key === undefined) return;
            const copy = { ...frame };
            delete copy[key];
            // Optional fields may be dropped; a send may lose its shared body only if every device has its own.
            const again =
              side === 'client'
                ? safe(() => decodeClientFrame(encode(copy)))
                : safe(() => decodeServerFrame(encode(copy)));
            if (again === 'ok') {
              expect(['qid', 'expiresAt', 'ref', 'retryAfterMs', 'transient', 'body']).toContain(
                key,
              );
              return;
            }
            m = { bytes: encode(copy), expect: ErrorCode.FRAME_INVALID };
            break;
          }
          case 'add':
            m = {
              bytes: encode({ ...frame, [`x${pick % 7}`]: pick }),
              expect: ErrorCode.FRAME_INVALID,
            };
            break;
          case 'wrong-type': {
            if (key === undefined) return;
            const value = frame[key];
            const wrong =
              typeof value === 'string'
                ? pick
                : typeof value === 'number'
                  ? String(value)
                  : value instanceof Uint8Array
                    ? toHex(value)
                    : typeof value === 'boolean'
                      ? 0
                      : 'x';
            m = { bytes: encode({ ...frame, [key]: wrong }), expect: ErrorCode.FRAME_INVALID };
            break;
          }
          case 'oversize-field': {
            const big = Object.entries(frame).find(
              ([name, value]) =>
                name !== 't' && (value instanceof Uint8Array || typeof value === 'string'),
            );
            if (big === undefined) return;
            const [name, value] = big;
            const grown =
              value instanceof Uint8Array ? new Uint8Array(70_000) : `${value}${'x'.repeat(300)}`;
            m = { bytes: encode({ ...frame, [name]: grown }), expect: ErrorCode.FRAME_INVALID };
            break;
          }
          case 'oversize-frame': {
            const max = side === 'client' ? FRAME_MAX_BYTES : SERVER_FRAME_MAX_BYTES;
            const bytes = new Uint8Array(max + 1 + (pick % 100));
            bytes.set(encode(frame).subarray(0, Math.min(max, 64)));
            m = { bytes, expect: ErrorCode.FRAME_TOO_LARGE };
            break;
          }
          case 'truncate': {
            const bytes = encode(frame);
            m = {
              bytes: bytes.subarray(0, pick % bytes.length),
              expect: ErrorCode.FRAME_MALFORMED,
            };
            break;
          }
        }
        if (m === undefined) return;
        const { bytes } = m;
        expect(errorOf(() => decode(side, bytes)).code).toBe(m.expect);
      }),
      { numRuns: 2000 },
    );
  });

  it('dropping or retyping `t` gives FRAME_UNKNOWN_TYPE', () => {
    fc.assert(
      fc.property(
        frameArb,
        fc.oneof(fc.constant(undefined), fc.integer(), fc.string({ maxLength: 12 })),
        ({ frame, side }, t) => {
          fc.pre(
            typeof t !== 'string' ||
              ![
                'auth',
                'unlock',
                'send',
                'ack',
                'ping',
                'challenge',
                'ready',
                'stored',
                'mismatch',
                'deliver',
                'drained',
                'pong',
                'error',
              ].includes(t),
          );
          const bytes = encodeCbor({ ...frame, t });
          expect(errorOf(() => decode(side, bytes)).code).toBe(ErrorCode.FRAME_UNKNOWN_TYPE);
        },
      ),
      { numRuns: 500 },
    );
  });
});

function safe(run: () => unknown): 'ok' | 'error' {
  try {
    run();
    return 'ok';
  } catch {
    return 'error';
  }
}

describe('send to a user with a device list', () => {
  it('keeps per-user device order as sent', () => {
    const frame: ClientFrame = {
      t: 'send',
      id: seq(16),
      to: [
        {
          user: BOB,
          devices: [
            { device: 9, body: seq(3) },
            { device: 2, body: seq(4) },
          ],
        },
      ],
    };
    const decoded = decodeClientFrame(encodeClientFrame(frame));
    expect(decoded.t === 'send' && decoded.to[0]?.devices.map((d) => d.device)).toEqual([9, 2]);
  });
});
