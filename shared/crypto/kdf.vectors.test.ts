// HKDF-SHA-256 and HMAC-SHA-256 against RFC 5869 and Wycheproof. Also run
// under Deno in vectors.deno.test.ts.
import { describe, expect, it } from 'vitest';
import { checkHkdfRfc5869, checkHkdfWycheproof, checkHmacWycheproof } from './vectors/check-kdf.ts';
import { suiteDifferences } from './vectors/expected.ts';
import { Transcript } from './vectors/suite.ts';

describe('HKDF and HMAC published vectors', () => {
  it('RFC 5869 Appendix A test cases 1-3 (PRK via HMAC, OKM, omitted salt)', async () => {
    const result = await checkHkdfRfc5869(new Transcript());
    expect(suiteDifferences(result)).toEqual([]);
    expect(result.checked).toBe(7);
  });

  it('Wycheproof HKDF: exact OKM, over-long output refused', async () => {
    const result = await checkHkdfWycheproof(new Transcript());
    expect(suiteDifferences(result)).toEqual([]);
    expect(result.tally['invalid: refused (RangeError)']).toBe(3);
  });

  it('Wycheproof HMAC: full and truncated tags match exactly when valid, never when modified', async () => {
    const result = await checkHmacWycheproof(new Transcript());
    expect(suiteDifferences(result)).toEqual([]);
    expect(result.checked).toBe(174);
  });
});
