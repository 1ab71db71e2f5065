import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toBase64Url, utf8 } from '../bytes.ts';
import { ErrorCode, ParleyError } from '../errors.ts';
import { errorOf } from '../testing/errors.ts';
import { REST_BODY_MAX_BYTES, REST_RESPONSE_MAX_BYTES } from './limits.ts';
import { RegisterOptionsRequestSchema } from './rest-auth.ts';
import { parseRestBody, serializeRestBody, toJsonShape, validateRestValue } from './rest-codec.ts';
import { DeviceRegistrationSchema, PrekeyBundlesResponseSchema } from './rest-devices.ts';
import { sampleBundles, sampleRegistration } from './testing/rest-samples.ts';
import { seq } from './testing/samples.ts';

describe('parseRestBody', () => {
  it('round-trips a full device registration (100 prekeys) well under the body cap', () => {
    const text = serializeRestBody(DeviceRegistrationSchema, sampleRegistration());
    expect(utf8(text).length).toBeLessThan(REST_BODY_MAX_BYTES / 2);
    expect(parseRestBody(DeviceRegistrationSchema, text)).toEqual(sampleRegistration());
    expect(parseRestBody(DeviceRegistrationSchema, utf8(text))).toEqual(sampleRegistration());
  });

  it('checks the size before parsing, in bytes', () => {
    const big = `{"handle":"${'a'.repeat(REST_BODY_MAX_BYTES)}"}`;
    expect(errorOf(() => parseRestBody(RegisterOptionsRequestSchema, big)).code).toBe(
      ErrorCode.BODY_TOO_LARGE,
    );
    expect(errorOf(() => parseRestBody(RegisterOptionsRequestSchema, utf8(big))).code).toBe(
      ErrorCode.BODY_TOO_LARGE,
    );
    // 30,000 three-byte characters: under the cap in UTF-16 units, over it in bytes.
    const wide = `{"handle":"${'€'.repeat(30_000)}"}`;
    expect(wide.length).toBeLessThan(REST_BODY_MAX_BYTES);
    const e = errorOf(() => parseRestBody(RegisterOptionsRequestSchema, wide));
    expect(e.code).toBe(ErrorCode.BODY_TOO_LARGE);
    expect(e.details).toEqual({ size: utf8(wide).length, max: REST_BODY_MAX_BYTES });
  });

  it('lets clients read larger responses when they say so', () => {
    const text = JSON.stringify(toJsonShape(sampleBundles()));
    expect(
      parseRestBody(PrekeyBundlesResponseSchema, text, { maxBytes: REST_RESPONSE_MAX_BYTES }),
    ).toEqual(sampleBundles());
    expect(
      errorOf(() => parseRestBody(PrekeyBundlesResponseSchema, text, { maxBytes: 100 })).code,
    ).toBe(ErrorCode.BODY_TOO_LARGE);
  });

  it.each([
    ['not JSON', '{"handle": alice}', 'not JSON'],
    ['empty', '', 'not JSON'],
    ['an array', '["alice"]', 'missing_field'], // valibot treats arrays as objects lacking the member
    ['null', 'null', 'wrong_type'],
    ['a non-canonical handle', '{"handle":"Alice"}', 'check'],
    ['an extra member', '{"handle":"alice","admin":true}', 'unknown_field'],
  ])('rejects %s as BODY_INVALID', (_, text, reason) => {
    const e = errorOf(() => parseRestBody(RegisterOptionsRequestSchema, text));
    expect(e.code).toBe(ErrorCode.BODY_INVALID);
    expect(e.details?.reason).toBe(reason);
  });

  it('rejects invalid UTF-8 bytes', () => {
    const e = errorOf(() =>
      parseRestBody(RegisterOptionsRequestSchema, new Uint8Array([0x7b, 0xc3, 0x28, 0x7d])),
    );
    expect(e.details).toEqual({ path: '', reason: 'not UTF-8' });
  });

  it('names the field, never the value', () => {
    const body = toJsonShape(sampleRegistration()) as unknown as { identity: { dh: string } };
    body.identity.dh = toBase64Url(utf8('secret-bytes-here'));
    const e = errorOf(() => parseRestBody(DeviceRegistrationSchema, JSON.stringify(body)));
    expect(e.details).toEqual({ path: 'identity.dh', reason: 'length' });
    expect(JSON.stringify(e.toJSON())).not.toContain(body.identity.dh);
  });

  it('arbitrary text never throws anything but BODY_INVALID or BODY_TOO_LARGE', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.json({ maxDepth: 4 })), (text) => {
        try {
          parseRestBody(DeviceRegistrationSchema, text);
        } catch (e) {
          expect(
            e instanceof ParleyError &&
              [ErrorCode.BODY_INVALID, ErrorCode.BODY_TOO_LARGE].includes(e.code as never),
          ).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('serializeRestBody and toJsonShape', () => {
  it('turns every Uint8Array into base64url and leaves other values alone', () => {
    expect(toJsonShape({ a: seq(3), b: [seq(1)], c: 5, d: 'x', e: null, f: { g: true } })).toEqual({
      a: 'AAEC',
      b: ['AA'],
      c: 5,
      d: 'x',
      e: null,
      f: { g: true },
    });
  });

  it('checks the value before sending it', () => {
    const bad = sampleRegistration();
    const broken = { ...bad, identity: { ...bad.identity, dh: seq(31) } };
    const e = errorOf(() => serializeRestBody(DeviceRegistrationSchema, broken));
    expect(e.code).toBe(ErrorCode.BODY_INVALID);
    expect(e.details).toEqual({ path: 'identity.dh', reason: 'length' });
  });

  it('validateRestValue accepts already-parsed JSON', () => {
    expect(validateRestValue(RegisterOptionsRequestSchema, { handle: 'alice' })).toEqual({
      handle: 'alice',
    });
  });
});
