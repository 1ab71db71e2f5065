// Every vector suite under Deno (the relay's runtime): same checks, same
// recorded counts and the same output digest as under Node (vectors.test.ts and
// the *.vectors.test.ts files), so the two runtimes agree byte for byte.
import { deepStrictEqual } from 'node:assert/strict';
import { runAllVectorSuites, type VectorRun } from './vectors/check-vectors.ts';
import { runDifferences, suiteDifferences } from './vectors/expected.ts';

let run: Promise<VectorRun> | undefined;
function vectorRun(): Promise<VectorRun> {
  run ??= runAllVectorSuites();
  return run;
}

const SUITES = [
  'rfc7748/x25519',
  'wycheproof/x25519',
  'rfc8032/ed25519',
  'wycheproof/ed25519',
  'parley/ed25519-small-order',
  'wycheproof/aes-gcm',
  'rfc5869/hkdf-sha256',
  'wycheproof/hkdf-sha256',
  'wycheproof/hmac-sha256',
  'wycheproof/ml-kem-768',
  'wycheproof/ml-kem-768-encaps',
];

for (const suite of SUITES) {
  Deno.test(`vectors under Deno: ${suite}`, async () => {
    const result = (await vectorRun()).results.find((r) => r.suite === suite);
    deepStrictEqual(result === undefined ? [`${suite} did not run`] : suiteDifferences(result), []);
  });
}

Deno.test('vectors under Deno: output digest equals the one Node produces', async () => {
  deepStrictEqual(runDifferences(await vectorRun()), []);
});
