/**
 * Checks that every package in package-lock.json accepts the oldest Node
 * versions package.json's `engines.node` admits, so the README's Node
 * requirement is the real one (npm only warns, with EBADENGINE, and only on the
 * Node that happens to run it). CI runs it after `npm ci`:
 *
 *   npx tsx scripts/check-engines.ts
 *
 * Only the range forms found in npm package manifests are understood; anything
 * else is reported as unreadable rather than guessed at.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type Version = readonly [number, number, number];
type Comparator = (v: Version) => boolean;

function compare(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** `20`, `20.19`, `20.19.0`, `6.*`, `0.6.x`: the given parts and how many were given. */
function partial(text: string): { v: Version; given: number } | undefined {
  const m = /^v?(\d+|[x*])(?:\.(\d+|[x*]))?(?:\.(\d+|[x*]))?$/i.exec(text);
  if (m === null) return undefined;
  const parts = [m[1], m[2], m[3]].filter((p): p is string => p !== undefined);
  let given = 0;
  for (const p of parts) {
    if (/^[x*]$/i.test(p)) break;
    given++;
  }
  const nums = parts.slice(0, given).map(Number);
  return { v: [nums[0] ?? 0, nums[1] ?? 0, nums[2] ?? 0], given };
}

/** The first version after the partial's range (`20.1` → 20.2.0). */
function bump(p: { v: Version; given: number }): Version {
  const [a, b] = p.v;
  return p.given === 1 ? [a + 1, 0, 0] : [a, b + 1, 0];
}

function comparator(op: string, text: string): Comparator | undefined {
  const p = partial(text);
  if (p === undefined) return undefined;
  const lo = p.v;
  if (p.given === 0) return () => true;
  switch (op) {
    case '>=':
      return (v) => compare(v, lo) >= 0;
    case '>':
      return p.given === 3 ? (v) => compare(v, lo) > 0 : (v) => compare(v, bump(p)) >= 0;
    case '<':
      return (v) => compare(v, lo) < 0;
    case '<=':
      return p.given === 3 ? (v) => compare(v, lo) <= 0 : (v) => compare(v, bump(p)) < 0;
    case '^': {
      const [a, b, c] = lo;
      const hi: Version =
        a > 0 || p.given === 1
          ? [a + 1, 0, 0]
          : b > 0 || p.given === 2
            ? [0, b + 1, 0]
            : [0, 0, c + 1];
      return (v) => compare(v, lo) >= 0 && compare(v, hi) < 0;
    }
    case '~': {
      const hi = p.given === 1 ? bump(p) : bump({ v: lo, given: 2 });
      return (v) => compare(v, lo) >= 0 && compare(v, hi) < 0;
    }
    case '':
    case '=': {
      if (p.given === 3) return (v) => compare(v, lo) === 0;
      const hi = bump(p);
      return (v) => compare(v, lo) >= 0 && compare(v, hi) < 0;
    }
    default:
      return undefined;
  }
}

/** Whether `version` satisfies `range`; undefined when the range is not understood. */
export function satisfies(version: Version, range: string): boolean | undefined {
  const alternatives = range.split('||').map((a) => a.trim());
  let any = false;
  for (const alt of alternatives) {
    if (alt === '' || alt === '*') return true;
    // `>= 12` and `>=12` are the same comparator.
    const tokens = alt.replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1').split(/\s+/);
    let all = true;
    for (const token of tokens) {
      const m = /^(>=|<=|>|<|=|\^|~)?(.*)$/.exec(token);
      const check = m === null ? undefined : comparator(m[1] ?? '', m[2] ?? '');
      if (check === undefined) return undefined;
      if (!check(version)) all = false;
    }
    if (all) any = true;
  }
  return any;
}

/** The lowest version of each `||` alternative of our own range (`^20.19.0 || >=22.12.0` → 20.19.0, 22.12.0). */
export function lowestVersions(range: string): Version[] {
  return range.split('||').map((alt) => {
    const m = /^\s*(?:>=|\^|~)?\s*(\S+)/.exec(alt);
    const p = m?.[1] === undefined ? undefined : partial(m[1]);
    if (p === undefined) throw new Error(`cannot read engines.node alternative "${alt.trim()}"`);
    return p.v;
  });
}

export interface EngineProblem {
  pkg: string;
  range: string;
  node: string;
  reason: 'too new' | 'unreadable';
}

interface LockEntry {
  version?: string;
  engines?: unknown;
}

export function checkLock(
  lock: { packages: Record<string, LockEntry> },
  ourRange: string,
): EngineProblem[] {
  const problems: EngineProblem[] = [];
  const targets = lowestVersions(ourRange);
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (key === '') continue;
    const engines = entry.engines;
    if (typeof engines !== 'object' || engines === null || Array.isArray(engines)) continue;
    const range = (engines as { node?: unknown }).node;
    if (typeof range !== 'string') continue;
    const pkg = `${key.replace(/^.*node_modules\//, '')}@${entry.version ?? '?'}`;
    for (const target of targets) {
      const ok = satisfies(target, range);
      if (ok === true) continue;
      problems.push({
        pkg,
        range,
        node: target.join('.'),
        reason: ok === undefined ? 'unreadable' : 'too new',
      });
    }
  }
  return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = new URL('../', import.meta.url);
  const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
    engines?: { node?: string };
  };
  const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const ours = pkg.engines?.node;
  if (ours === undefined) {
    console.error('check-engines: package.json has no engines.node');
    process.exit(1);
  }
  const problems = checkLock(lock, ours);
  for (const p of problems)
    console.error(
      `check-engines: ${p.pkg} wants node "${p.range}" (${p.reason} for Node ${p.node}, which package.json's "${ours}" admits)`,
    );
  if (problems.length > 0) {
    console.error(
      'check-engines: raise engines.node (and the README) or pin the package with `overrides`',
    );
    process.exit(1);
  }
  console.log(`check-engines: every locked package runs on Node ${ours}`);
}
