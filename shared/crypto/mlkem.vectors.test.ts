// ML-KEM-768 against Wycheproof (keygen from seed, decapsulation with implicit
// rejection, encapsulation, invalid keys). Also run under Deno in
// vectors.deno.test.ts.
import { describe, expect, it } from 'vitest';
import { checkMlKemEncapsWycheproof, checkMlKemWycheproof } from './vectors/check-mlkem.ts';
import { suiteDifferences } from './vectors/expected.ts';
import { Transcript } from './vectors/suite.ts';

describe('ML-KEM-768 published vectors', () => {
  it('Wycheproof keygen + decapsulation, including modified ciphertexts (implicit rejection)', async () => {
    const result = await checkMlKemWycheproof(new Transcript());
    expect(suiteDifferences(result)).toEqual([]);
    expect(result.tally['valid: exact key pair and K']).toBe(153);
  });

  it('Wycheproof encapsulation: exact c and K; unreduced or mis-sized keys refused', async () => {
    const result = await checkMlKemEncapsWycheproof(new Transcript());
    expect(suiteDifferences(result)).toEqual([]);
    expect(result.tally['invalid: key refused (KEY_INVALID)']).toBe(112);
  });
});
