// X25519 through Parley's wrappers against RFC 7748 and Wycheproof (policy in
// vectors/check-x25519.ts). The same checks run under Deno in vectors.deno.test.ts.
import { describe, expect, it } from 'vitest';
import { checkX25519Rfc7748, checkX25519Wycheproof } from './vectors/check-x25519.ts';
import { suiteDifferences } from './vectors/expected.ts';
import { Transcript } from './vectors/suite.ts';

describe('X25519 published vectors', () => {
  it('RFC 7748 §5.2 (two function vectors, 1 and 1,000 iterations) and §6.1 Alice/Bob', async () => {
    const result = await checkX25519Rfc7748(new Transcript());
    expect(suiteDifferences(result)).toEqual([]);
    expect(result.checked).toBe(8);
  });

  it('Wycheproof: exact secrets for valid and twist/non-canonical cases, low-order keys rejected', async () => {
    const result = await checkX25519Wycheproof(new Transcript());
    expect(suiteDifferences(result)).toEqual([]);
    expect(result.checked).toBe(518);
    expect(result.tally['rejected KEY_LOW_ORDER']).toBe(31);
  });
});
