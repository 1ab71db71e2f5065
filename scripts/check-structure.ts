/**
 * Fails when a production file in shared/, edge/ or extension/ has a function
 * over 150 lines, a class over 300 lines, or an import cycle (the rules and
 * how they are measured: scripts/lib/structure.ts). Part of `npm run lint`:
 *
 *   npx tsx scripts/check-structure.ts                  check against the baseline
 *   npx tsx scripts/check-structure.ts --write-baseline rewrite the baseline to today's offenders
 *                                                       (then `npm run format`: biome's JSON layout)
 *
 * scripts/structure-baseline.json lists the offenders that existed when the
 * check came in: they pass while they do not grow (a baselined cycle passes
 * while it gains no module), and the check says when an entry can go.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  baselineOf,
  checkStructure,
  isProductionFile,
  type SourceFile,
  type StructureBaseline,
} from './lib/structure.ts';

const SKIPPED_DIRS = new Set(['node_modules', '.output', '.wxt', 'data']);

function listSources(root: string, dir: string): SourceFile[] {
  const out: SourceFile[] = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = dir === '' ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) out.push(...listSources(root, path));
    } else if (entry.isFile() && isProductionFile(path)) {
      out.push({ path, text: readFileSync(join(root, path), 'utf8') });
    }
  }
  return out;
}

function readBaseline(path: string): StructureBaseline {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as StructureBaseline;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { units: [], cycles: [] };
    throw e;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('../', import.meta.url));
  const baselinePath = join(root, 'scripts', 'structure-baseline.json');
  const files = ['shared', 'edge', 'extension'].flatMap((d) => listSources(root, d));
  const report = checkStructure(files, readBaseline(baselinePath));
  if (process.argv.includes('--write-baseline')) {
    writeFileSync(baselinePath, `${JSON.stringify(baselineOf(report), null, 2)}\n`);
    console.log(`wrote ${relative(root, baselinePath).split(sep).join('/')}`);
  }
  for (const u of report.offenders)
    console.log(`over limit: ${u.file} ${u.kind} ${u.name} (${u.lines} lines)`);
  for (const c of report.cycles) console.log(`import cycle among ${c.join(', ')}`);
  for (const s of report.stale) console.log(`baseline entry can go: ${s}`);
  if (report.failures.length > 0 && !process.argv.includes('--write-baseline')) {
    for (const f of report.failures) console.error(`structure: ${f}`);
    console.error(
      `${report.failures.length} structure failure(s): split the unit or break the cycle (scripts/lib/structure.ts)`,
    );
    process.exit(1);
  }
  console.log(
    `structure: ${files.length} production files, ${report.offenders.length} baselined offender(s), ${report.cycles.length} baselined cycle(s)`,
  );
}
