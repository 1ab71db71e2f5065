import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../bytes.ts';
import { summarizeIssue } from './issues.ts';
import {
  b64Bytes,
  b64BytesRange,
  base64UrlLength,
  ErrorResponseSchema,
  KemKeySchema,
  SignatureSchema,
  X25519KeySchema,
} from './rest-fields.ts';
import { seq } from './testing/samples.ts';

function outcome(schema: v.GenericSchema, value: unknown): string {
  const result = v.safeParse(schema, value, { abortEarly: true });
  return result.success ? 'ok' : summarizeIssue(result.issues[0]).reason;
}

describe('base64url byte fields', () => {
  it('encoded lengths are unpadded', () => {
    expect([0, 1, 2, 3, 32, 64, 1184].map(base64UrlLength)).toEqual([0, 2, 3, 4, 43, 86, 1579]);
  });

  it.each([
    ['X25519 key', X25519KeySchema, 32],
    ['Ed25519 signature', SignatureSchema, 64],
    ['ML-KEM-768 public key', KemKeySchema, 1184],
  ])('%s: exactly %#', (_, schema, length) => {
    const good = seq(length as number);
    expect(v.parse(schema as v.GenericSchema, toBase64Url(good))).toEqual(good);
    expect(outcome(schema as v.GenericSchema, toBase64Url(seq((length as number) - 1)))).toBe(
      'length',
    );
    expect(outcome(schema as v.GenericSchema, toBase64Url(seq((length as number) + 1)))).toBe(
      'length',
    );
    expect(outcome(schema as v.GenericSchema, good)).toBe('wrong_type');
  });

  it('rejects padding, the standard alphabet and non-canonical encodings', () => {
    const key = toBase64Url(seq(32, 0xf8)); // contains - and _
    expect(key).toMatch(/[-_]/);
    expect(outcome(X25519KeySchema, key)).toBe('ok');
    expect(outcome(X25519KeySchema, `${key.slice(0, 42)}=`)).toBe('regex');
    expect(outcome(X25519KeySchema, key.replaceAll('-', '+').replaceAll('_', '/'))).toBe('regex');
    // 32 bytes leave 2 unused bits in the last character: 'A' -> 'B' decodes the same bytes.
    const canonical = toBase64Url(new Uint8Array(32));
    expect(canonical.endsWith('A')).toBe(true);
    expect(outcome(X25519KeySchema, `${canonical.slice(0, -1)}B`)).toBe('base64url');
  });

  it('ranges reject impossible lengths without decoding', () => {
    const schema = b64BytesRange(1, 10);
    expect(outcome(schema, 'A')).toBe('min_length');
    expect(outcome(schema, toBase64Url(seq(11)))).toBe('max_length');
    expect(outcome(schema, 'AAAAA')).toBe('base64url'); // 5 characters: no byte string encodes to that
    expect(outcome(schema, 'x'.repeat(100_000))).toBe('max_length');
  });

  it('every byte string round-trips through its exact-length schema', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const parsed = v.parse(b64Bytes(bytes.length), toBase64Url(bytes));
        expect(parsed).toEqual(Uint8Array.from(bytes));
        expect(parsed.constructor).toBe(Uint8Array);
      }),
    );
  });

  it('any text of the right length either decodes canonically or is rejected as base64url/regex', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 43, maxLength: 43, unit: 'binary-ascii' }), (text) => {
        const result = outcome(X25519KeySchema, text);
        expect(['ok', 'regex', 'base64url']).toContain(result);
      }),
    );
  });
});

describe('error responses', () => {
  it('accepts code, message and plain details', () => {
    const body = {
      error: {
        code: 'KEY_LENGTH',
        message: 'bad key',
        details: { expected: 32, path: 'a.b', list: [1, 'x'] },
      },
    };
    expect(outcome(ErrorResponseSchema, body)).toBe('ok');
    expect(outcome(ErrorResponseSchema, { error: { code: 'X', message: 'm' } })).toBe('ok');
  });

  it('rejects nested or oversized details and unknown members', () => {
    expect(
      outcome(ErrorResponseSchema, {
        error: { code: 'X', message: 'm', details: { a: { b: 1 } } },
      }),
    ).toBe('wrong_type');
    expect(
      outcome(ErrorResponseSchema, { error: { code: 'X', message: 'm', stack: 'at ...' } }),
    ).toBe('unknown_field');
    const many = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, i]));
    expect(
      outcome(ErrorResponseSchema, { error: { code: 'X', message: 'm', details: many } }),
    ).toBe('check');
  });
});
