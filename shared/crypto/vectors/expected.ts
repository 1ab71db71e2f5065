/**
 * The recorded expectations (expected-results.json) and a comparison that
 * reports every difference as a readable line, so the vitest and Deno tests
 * assert exactly the same thing with a one-line `equal(differences, [])`.
 */

import type { VectorRun } from './check-vectors.ts';
import expectedJson from './expected-results.json' with { type: 'json' };
import type { SuiteResult } from './suite.ts';

interface ExpectedSuite {
  readonly checked: number;
  readonly skipped: Readonly<Record<string, number>>;
  readonly tally: Readonly<Record<string, number>>;
}

const expected: {
  readonly digest: string;
  readonly transcriptEntries: number;
  readonly suites: Readonly<Record<string, ExpectedSuite>>;
} = expectedJson;

/** Differences between one suite's result and its recorded expectation; empty when they agree. */
export function suiteDifferences(result: SuiteResult): string[] {
  const lines = result.failures.map((failure) => `failed: ${failure}`);
  const want = expected.suites[result.suite];
  if (want === undefined) return [...lines, `${result.suite}: no recorded expectation`];
  if (result.checked !== want.checked) {
    lines.push(`${result.suite}: checked ${result.checked} cases, expected ${want.checked}`);
  }
  lines.push(...countDifferences(`${result.suite} skipped`, result.skipped, want.skipped));
  lines.push(...countDifferences(`${result.suite} tally`, result.tally, want.tally));
  return lines;
}

/** Differences for a whole run: every suite, the suite list itself, and the output digest. */
export function runDifferences(run: VectorRun): string[] {
  const lines = run.results.flatMap(suiteDifferences);
  const ran = new Set(run.results.map((r) => r.suite));
  for (const suite of Object.keys(expected.suites)) {
    if (!ran.has(suite)) lines.push(`${suite}: expected but not run`);
  }
  if (run.transcriptEntries !== expected.transcriptEntries) {
    lines.push(
      `transcript has ${run.transcriptEntries} entries, expected ${expected.transcriptEntries}`,
    );
  }
  if (run.digest !== expected.digest) {
    lines.push(`output digest ${run.digest}, expected ${expected.digest}`);
  }
  return lines;
}

function countDifferences(
  what: string,
  actual: Readonly<Record<string, number>>,
  wanted: Readonly<Record<string, number>>,
): string[] {
  const lines: string[] = [];
  for (const key of new Set([...Object.keys(actual), ...Object.keys(wanted)])) {
    const a = actual[key] ?? 0;
    const w = wanted[key] ?? 0;
    if (a !== w) lines.push(`${what} "${key}": ${a}, expected ${w}`);
  }
  return lines;
}
