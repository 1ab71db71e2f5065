/** The typed linking code and the link string: formats, typos, round trips. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../bytes.ts';
import { systemRandom } from '../crypto/random.ts';
import { ErrorCode } from '../errors.ts';
import { LINK_CODE_ALPHABET } from '../wire/limits.ts';
import { formatLinkCode, newLinkSecret, parseLinkCode } from './link-code.ts';
import { formatLinkString, kemCommitment, parseLinkString } from './link-string.ts';

const chars = (n: number) =>
  fc
    .array(fc.constantFrom(...LINK_CODE_ALPHABET), { minLength: n, maxLength: n })
    .map((c) => c.join(''));

describe('linking code', () => {
  it('formats as LLLL-SSSS-SSSS and reads back, whatever the case, spaces and dashes', () => {
    fc.assert(
      fc.property(chars(4), chars(8), (locator, secret) => {
        const text = formatLinkCode({ locator, secret });
        expect(text).toMatch(/^.{4}-.{4}-.{4}$/);
        expect(parseLinkCode(text)).toEqual({ locator, secret });
        expect(parseLinkCode(` ${text.toLowerCase().replace(/-/g, ' ')} `)).toEqual({
          locator,
          secret,
        });
      }),
    );
  });

  it('refuses look-alike characters and wrong lengths before any network call', () => {
    for (const bad of [
      'ABCD-EFGH-JKL0',
      'ABCD-EFGH-JKLO',
      'ABCD-EFGH-JKLI',
      'ABCD-EFGH-JKU1',
      'ABCD-EFGH-JK',
      '',
    ]) {
      expect(() => parseLinkCode(bad)).toThrow(
        expect.objectContaining({ code: ErrorCode.LINK_CODE_INVALID }),
      );
    }
  });

  it('draws 40-bit secrets from the alphabet', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const secret = newLinkSecret(systemRandom);
      expect(secret).toHaveLength(8);
      for (const c of secret) seen.add(c);
    }
    expect(seen.size).toBe(32);
    expect(newLinkSecret(() => new Uint8Array(5).fill(0xff))).toBe('ZZZZZZZZ');
    expect(newLinkSecret(() => new Uint8Array(5))).toBe('11111111');
  });
});

describe('link string', () => {
  const rid = toBase64Url(new Uint8Array(16).fill(7));
  const dh = new Uint8Array(32).fill(3);
  const kem = new Uint8Array(1184).fill(5);

  it('round-trips rid, X25519 key and the ML-KEM commitment', () => {
    const text = formatLinkString(rid, dh, kem);
    expect(text.startsWith('parley:link?v=1&r=')).toBe(true);
    expect(parseLinkString(text)).toEqual({ rid, newDh: dh, kemCommitment: kemCommitment(kem) });
  });

  it('refuses other schemes, versions and damaged fields', () => {
    const good = formatLinkString(rid, dh, kem);
    for (const bad of [
      good.replace('parley:', 'https:'),
      good.replace('v=1', 'v=2'),
      good.replace(/&x=[^&]*/, '&x=AAAA'),
      good.replace(/&k=[^&]*/, ''),
      good.replace(/r=[^&]*/, 'r=short'),
    ]) {
      expect(() => parseLinkString(bad)).toThrow(
        expect.objectContaining({ code: ErrorCode.LINK_CODE_INVALID }),
      );
    }
  });
});
