/**
 * The structure rules (README, "Architecture"): no function over
 * 150 lines, no class over 300 lines, no import cycle among production
 * modules. Pure: sources in, findings out; scripts/check-structure.ts reads
 * the tree and the baseline and prints the result.
 *
 * Sizes are lines from the first token of the function or class (not its
 * comment) to its closing brace. Functions are counted one by one, nested
 * ones too, so a 200-line closure holding a 160-line function is two
 * offenders. Anonymous functions are named after what holds them (the
 * variable, property or call they are passed to), so the names survive edits
 * elsewhere in the file.
 *
 * Cycles are among static imports and re-exports between production files,
 * `import type` included: a type-only edge still ties two modules' designs
 * together (shared/client's countdown <-> messages was one). Dynamic
 * `import()` calls are not edges (they load later, on demand).
 */
import ts from 'typescript';

export const MAX_FUNCTION_LINES = 150;
export const MAX_CLASS_LINES = 300;

export interface SourceFile {
  /** Repository-relative, with forward slashes. */
  readonly path: string;
  readonly text: string;
}

export type UnitKind = 'function' | 'class';

export interface SizedUnit {
  readonly file: string;
  readonly kind: UnitKind;
  readonly name: string;
  readonly lines: number;
}

/** Offenders the check tolerates while they are being split, and cycles being broken. */
export interface StructureBaseline {
  readonly units: readonly SizedUnit[];
  /** Each cycle as its sorted member files. */
  readonly cycles: readonly (readonly string[])[];
}

export const EMPTY_BASELINE: StructureBaseline = { units: [], cycles: [] };

export interface StructureReport {
  /** Functions and classes over their limit (baselined or not). */
  readonly offenders: readonly SizedUnit[];
  /** Strongly connected groups of production modules, each sorted, largest first. */
  readonly cycles: readonly (readonly string[])[];
  /** Why the check fails: new or grown offenders, new or grown cycles. Empty means pass. */
  readonly failures: readonly string[];
  /** Baseline entries that are no longer offenders (safe to remove). */
  readonly stale: readonly string[];
}

const PRODUCTION_ROOTS = ['shared/', 'edge/', 'extension/'];

/** Whether the structure rules apply to `path` (tests, test helpers, e2e and declarations do not count). */
export function isProductionFile(path: string): boolean {
  if (!PRODUCTION_ROOTS.some((root) => path.startsWith(root))) return false;
  if (!/\.tsx?$/.test(path) || path.endsWith('.d.ts')) return false;
  if (/\.test\.tsx?$/.test(path)) return false;
  if (path.startsWith('extension/e2e/')) return false;
  const parts = path.split('/');
  return !parts.some((p) => p === 'testing' || p === 'node_modules' || p.startsWith('.'));
}

function limitOf(kind: UnitKind): number {
  return kind === 'function' ? MAX_FUNCTION_LINES : MAX_CLASS_LINES;
}

function parse(file: SourceFile): ts.SourceFile {
  const kind = file.path.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  return ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, true, kind);
}

function lineSpan(source: ts.SourceFile, node: ts.Node): number {
  const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
  const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
  return end - start + 1;
}

function nameText(name: ts.PropertyName | ts.BindingName | undefined): string | undefined {
  if (name === undefined) return undefined;
  if (ts.isIdentifier(name) || ts.isPrivateIdentifier(name)) return name.text;
  if (ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  return undefined;
}

/** A readable name for a call's callee: `app.get`, `describe`, `createResource`. */
function calleeText(expression: ts.Expression): string {
  if (ts.isIdentifier(expression)) return expression.text;
  if (ts.isPropertyAccessExpression(expression))
    return `${calleeText(expression.expression)}.${expression.name.text}`;
  return 'call';
}

/** The name a function or class goes by: its own, or that of the binding, property or call holding it. */
function unitName(node: ts.Node): string {
  if (
    (ts.isFunctionDeclaration(node) ||
      ts.isClassDeclaration(node) ||
      ts.isClassExpression(node) ||
      ts.isFunctionExpression(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isGetAccessorDeclaration(node) ||
      ts.isSetAccessorDeclaration(node)) &&
    nameText(node.name) !== undefined
  ) {
    return nameText(node.name) as string;
  }
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent))
    return nameText(parent.name) ?? '<anonymous>';
  if (ts.isPropertyDeclaration(parent)) return nameText(parent.name) ?? '<anonymous>';
  if (ts.isExportAssignment(parent)) return 'default';
  if (ts.isCallExpression(parent)) return `${calleeText(parent.expression)} callback`;
  if (ts.isJsxExpression(parent)) return 'jsx callback';
  return '<anonymous>';
}

function isFunctionLike(node: ts.Node): boolean {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isFunctionExpression(node) ||
    ts.isArrowFunction(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node)
  );
}

/**
 * Every function and class in one file with its size. Names are qualified by
 * the units around them (`createClient.onDeliver`, `Connection.open`) and made
 * unique with `#2`, `#3` in source order.
 */
export function measureUnits(file: SourceFile): SizedUnit[] {
  const source = parse(file);
  const units: SizedUnit[] = [];
  const seen = new Map<string, number>();
  const visit = (node: ts.Node, scope: string): void => {
    let inner = scope;
    const kind: UnitKind | undefined =
      ts.isClassDeclaration(node) || ts.isClassExpression(node)
        ? 'class'
        : isFunctionLike(node) && (node as ts.FunctionLikeDeclaration).body !== undefined
          ? 'function'
          : undefined;
    if (kind !== undefined) {
      const base = scope === '' ? unitName(node) : `${scope}.${unitName(node)}`;
      const count = (seen.get(base) ?? 0) + 1;
      seen.set(base, count);
      const name = count === 1 ? base : `${base}#${count}`;
      units.push({ file: file.path, kind, name, lines: lineSpan(source, node) });
      inner = name;
    }
    ts.forEachChild(node, (child) => visit(child, inner));
  };
  visit(source, '');
  return units;
}

/** Relative specifiers of the static imports and re-exports of one file (type-only ones too). */
export function staticImports(file: SourceFile): string[] {
  const source = parse(file);
  const out: string[] = [];
  for (const statement of source.statements) {
    let specifier: ts.Expression | undefined;
    if (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) {
      specifier = statement.moduleSpecifier;
    }
    if (specifier !== undefined && ts.isStringLiteral(specifier) && specifier.text.startsWith('.'))
      out.push(specifier.text);
  }
  return out;
}

function joinPath(fromFile: string, specifier: string): string {
  const parts = fromFile.split('/').slice(0, -1);
  for (const part of specifier.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}

/** The file a relative import names, among `known` paths (`.ts`/`.tsx` added, index files tried). */
export function resolveImport(
  fromFile: string,
  specifier: string,
  known: ReadonlySet<string>,
): string | undefined {
  const base = joinPath(fromFile, specifier);
  const withoutJs = base.replace(/\.js$/, '');
  const candidates = [
    base,
    `${withoutJs}.ts`,
    `${withoutJs}.tsx`,
    `${base}/index.ts`,
    `${base}/index.tsx`,
  ];
  return candidates.find((c) => known.has(c));
}

/** Strongly connected components with more than one module (or a module importing itself), Tarjan's algorithm. */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    for (;;) {
      const w = stack.pop() as string;
      onStack.delete(w);
      component.push(w);
      if (w === v) break;
    }
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) connect(v);
  return cycles.sort((a, b) => b.length - a.length || (a[0] ?? '').localeCompare(b[0] ?? ''));
}

/** The import graph among the given production files. */
export function importGraph(files: readonly SourceFile[]): Map<string, string[]> {
  const known = new Set(files.map((f) => f.path));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets = staticImports(file)
      .map((s) => resolveImport(file.path, s, known))
      .filter((t): t is string => t !== undefined);
    graph.set(file.path, [...new Set(targets)]);
  }
  return graph;
}

function unitKey(u: { file: string; kind: UnitKind; name: string }): string {
  return `${u.kind} ${u.file} ${u.name}`;
}

/** Checks `files` (any paths: non-production ones are ignored) against the rules and the baseline. */
export function checkStructure(
  files: readonly SourceFile[],
  baseline: StructureBaseline = EMPTY_BASELINE,
): StructureReport {
  const production = files.filter((f) => isProductionFile(f.path));
  const offenders = production
    .flatMap(measureUnits)
    .filter((u) => u.lines > limitOf(u.kind))
    .sort((a, b) => b.lines - a.lines || unitKey(a).localeCompare(unitKey(b)));
  const cycles = findCycles(importGraph(production));
  const failures: string[] = [];
  const tolerated = new Map(baseline.units.map((u) => [unitKey(u), u]));
  for (const u of offenders) {
    const known = tolerated.get(unitKey(u));
    const where = `${u.file}: ${u.kind} ${u.name} has ${u.lines} lines (limit ${limitOf(u.kind)})`;
    if (known === undefined) failures.push(where);
    else if (u.lines > known.lines) failures.push(`${where}, grew from ${known.lines} (baseline)`);
  }
  for (const cycle of cycles) {
    const covering = baseline.cycles.find((b) => cycle.every((m) => b.includes(m)));
    if (covering === undefined) failures.push(`import cycle among ${cycle.join(', ')}`);
  }
  const offenderKeys = new Set(offenders.map(unitKey));
  const stale = [
    ...baseline.units
      .filter((u) => !offenderKeys.has(unitKey(u)))
      .map((u) => `${u.file}: ${u.kind} ${u.name} is within its limit now`),
    ...baseline.cycles
      .filter((b) => !cycles.some((c) => c.some((m) => b.includes(m))))
      .map((b) => `import cycle among ${b.join(', ')} is gone`),
  ];
  return { offenders, cycles, failures, stale };
}

/** The baseline that tolerates exactly the current offenders and cycles. */
export function baselineOf(report: StructureReport): StructureBaseline {
  return {
    units: report.offenders.map(({ file, kind, name, lines }) => ({ file, kind, name, lines })),
    cycles: report.cycles,
  };
}
