/**
 * What the bench runner prints for a suite. A smoke run (`npm test`) only
 * proves that every scenario still runs; its numbers come from tiny sizes on a
 * shared machine, and ratios like "0.06×" read as alarming measurements to
 * anyone who has not read bench/run.ts. So a smoke run prints a plain
 * run-through line and no numbers at all.
 */
import type { SuiteOutput } from './suite.ts';

export interface ReportContext {
  readonly smoke: boolean;
  readonly seconds: string;
  readonly environment: string;
}

export function suiteReport(name: string, output: SuiteOutput, context: ReportContext): string {
  if (context.smoke) {
    return [
      `## ${name}: run-through passed (smoke mode, nothing measured)`,
      '',
      `Every ${name} scenario ran once at tiny sizes to check that it still works (${context.seconds} s).`,
      `This is not a measurement, so no numbers are shown; for those run \`npm run bench -- ${name}\`.`,
      '',
    ].join('\n');
  }
  const footer = `_${context.environment}, ${context.seconds} s_`;
  return `## ${name}\n\n${output.markdown}\n\n${footer}\n`;
}
