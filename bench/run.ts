/**
 * Bench runner: `npm run bench -- <suite>...|all [--smoke]`.
 *
 * Runs the named suites one after another (never in parallel: the machine is
 * shared and parallel runs skew each other), prints each Markdown table and,
 * after a full run, writes bench/results/<suite>.json (committed) and
 * bench/results/<suite>.md (gitignored). A smoke run (`npm test`) uses tiny
 * sizes, prints only that each suite ran through (bench/lib/report.ts) and
 * writes nothing, so the committed numbers always come from a full run.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { suiteReport } from './lib/report.ts';
import { suites } from './suites.ts';

const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'results');
const USAGE = 'Usage: npm run bench -- <suite>...|all [--smoke]';

class UsageError extends Error {}

function selectSuites(names: readonly string[]): string[] {
  const known = Object.keys(suites);
  if (names.length === 0)
    throw new UsageError(`No suite named. Available: ${known.join(', ')}, all.`);
  if (names.includes('all')) return known;
  for (const name of names) {
    if (!Object.hasOwn(suites, name)) {
      throw new UsageError(`Unknown bench suite "${name}". Available: ${known.join(', ')}, all.`);
    }
  }
  return [...new Set(names)];
}

async function runSuite(name: string, smoke: boolean): Promise<void> {
  const load = suites[name];
  if (load === undefined) throw new UsageError(`Unknown bench suite "${name}".`);
  const { suite } = await load();
  const log = (line: string): void => {
    process.stderr.write(`[bench ${name}] ${line}\n`);
  };
  log(
    `${suite.description}${smoke ? ' (smoke mode: a run-through at tiny sizes, nothing measured or saved)' : ''}`,
  );
  const started = performance.now();
  const output = await suite.run({ smoke, log });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const markdown = suiteReport(name, output, {
    smoke,
    seconds,
    environment: `${new Date().toISOString()}, Node ${process.version}, ${process.platform}/${process.arch}`,
  });
  process.stdout.write(`\n${markdown}`);
  if (smoke) return;
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(
    join(RESULTS_DIR, `${name}.json`),
    `${JSON.stringify(output.results, null, 2)}\n`,
  );
  await writeFile(join(RESULTS_DIR, `${name}.md`), markdown);
  log(`wrote bench/results/${name}.json and bench/results/${name}.md`);
}

async function main(): Promise<number> {
  let smoke = false;
  let selected: string[];
  try {
    const { values, positionals } = parseArgs({
      args: process.argv.slice(2),
      options: {
        smoke: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
    });
    if (values.help === true) {
      process.stdout.write(`${USAGE}\nSuites: ${Object.keys(suites).join(', ')}\n`);
      return 0;
    }
    smoke = values.smoke === true;
    selected = selectSuites(positionals);
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n${USAGE}\n`);
    return 2;
  }
  for (const name of selected) await runSuite(name, smoke);
  return 0;
}

process.exitCode = await main();
