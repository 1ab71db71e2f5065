// Every vector suite in one run under Node: counts as recorded and the digest
// of all of Parley's outputs equal to the constant Deno must also reproduce
// (vectors.deno.test.ts).
import { describe, expect, it } from 'vitest';
import { runAllVectorSuites } from './vectors/check-vectors.ts';
import { runDifferences } from './vectors/expected.ts';

describe('published vectors, all suites (Node)', () => {
  it('match the recorded counts and output digest shared with Deno', async () => {
    const run = await runAllVectorSuites();
    expect(runDifferences(run)).toEqual([]);
  });
});
