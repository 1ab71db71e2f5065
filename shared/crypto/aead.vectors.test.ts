// AES-256-GCM (both back ends) against Wycheproof; policy for key and nonce
// sizes in vectors/check-aead.ts. Also run under Deno in vectors.deno.test.ts.
import { describe, expect, it } from 'vitest';
import { checkAesGcmWycheproof } from './vectors/check-aead.ts';
import { suiteDifferences } from './vectors/expected.ts';
import { Transcript } from './vectors/suite.ts';

describe('AES-GCM published vectors', () => {
  it('Wycheproof AES-256, 96-bit nonces: exact seal/open in noble and WebCrypto, tampering fails', async () => {
    const result = await checkAesGcmWycheproof(new Transcript());
    expect(suiteDifferences(result)).toEqual([]);
    expect(result.tally['valid: sealed and opened exactly (both back ends)']).toBe(39);
    expect(result.tally['invalid: DECRYPT_FAILED (both back ends)']).toBe(27);
  });
});
