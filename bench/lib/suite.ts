/**
 * The contract between the bench runner (bench/run.ts) and a suite
 * (bench/<name>.ts). A suite measures and returns numbers plus a Markdown
 * table; the runner prints and saves them. Benchmarks are commands, never
 * tests: nothing here asserts a speed.
 */

export interface SuiteOptions {
  /** Tiny sizes so `npm test` can run every suite in a few seconds; numbers are meaningless. */
  readonly smoke: boolean;
  /** Progress lines (stderr), kept out of the table on stdout. */
  readonly log: (line: string) => void;
}

export interface SuiteOutput {
  /** Written as bench/results/<suite>.json after a full run. */
  readonly results: Readonly<Record<string, unknown>>;
  /** Printed, and saved as bench/results/<suite>.md (gitignored) after a full run. */
  readonly markdown: string;
}

export interface Suite {
  readonly description: string;
  run(options: SuiteOptions): Promise<SuiteOutput>;
}
