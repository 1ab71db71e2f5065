// Ed25519 through Parley's wrappers against RFC 8032, Wycheproof and Parley's
// small-order/non-canonical key regressions. Also run under Deno in
// vectors.deno.test.ts.
import { describe, expect, it } from 'vitest';
import {
  checkEd25519Rfc8032,
  checkEd25519SmallOrder,
  checkEd25519Wycheproof,
} from './vectors/check-ed25519.ts';
import { suiteDifferences } from './vectors/expected.ts';
import { Transcript } from './vectors/suite.ts';

describe('Ed25519 published vectors', () => {
  it('RFC 8032 §7.1 TEST 1, 2, 3, 1024, SHA(abc): exact signatures, verify, altered message fails', async () => {
    const result = await checkEd25519Rfc8032(new Transcript());
    expect(suiteDifferences(result)).toEqual([]);
    expect(result.checked).toBe(15);
  });

  it('Wycheproof: verify is true exactly for the valid cases', async () => {
    const result = await checkEd25519Wycheproof(new Transcript());
    expect(suiteDifferences(result)).toEqual([]);
    expect(result.tally).toEqual({ 'valid: verified': 88, 'invalid: rejected': 63 });
  });

  it('small-order and non-canonical keys: forgeries raw WebCrypto accepts are rejected', async () => {
    const result = await checkEd25519SmallOrder(new Transcript());
    expect(suiteDifferences(result)).toEqual([]);
    expect(result.tally['forgery rejected by verify']).toBe(14);
  });
});
