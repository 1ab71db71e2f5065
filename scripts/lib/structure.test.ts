import { describe, expect, it } from 'vitest';
import {
  baselineOf,
  checkStructure,
  findCycles,
  isProductionFile,
  MAX_CLASS_LINES,
  MAX_FUNCTION_LINES,
  measureUnits,
  resolveImport,
  type SourceFile,
  staticImports,
} from './structure.ts';

/** A function whose text spans exactly `lines` lines. */
function fn(name: string, lines: number, inner = ''): string {
  const body = Array.from(
    { length: lines - 2 - (inner === '' ? 0 : inner.split('\n').length) },
    (_, i) => `  const v${i} = ${i};`,
  );
  return [`export function ${name}(): void {`, ...(inner === '' ? [] : [inner]), ...body, '}'].join(
    '\n',
  );
}

function cls(name: string, lines: number): string {
  const body = Array.from({ length: lines - 2 }, (_, i) => `  f${i} = ${i};`);
  return [`export class ${name} {`, ...body, '}'].join('\n');
}

const file = (path: string, text: string): SourceFile => ({ path, text });

describe('which files count', () => {
  it('takes production TypeScript in shared/, edge/ and extension/ only', () => {
    expect(isProductionFile('shared/crypto/ratchet.ts')).toBe(true);
    expect(isProductionFile('extension/components/ChatPage.tsx')).toBe(true);
    expect(isProductionFile('edge/app.ts')).toBe(true);
    for (const path of [
      'shared/crypto/ratchet.test.ts',
      'shared/crypto/sealed-box.deno.test.ts',
      'extension/components/ChatPage.test.tsx',
      'shared/client/testing/harness.ts',
      'edge/testing/relay-process.ts',
      'extension/e2e/fixture.ts',
      'extension/.wxt/types/imports.d.ts',
      'shared/types.d.ts',
      'bench/run.ts',
      'scripts/cli.ts',
      'shared/crypto/vectors/x.json',
    ]) {
      expect(isProductionFile(path), path).toBe(false);
    }
  });
});

describe('function and class sizes', () => {
  it('measures from the first token to the closing brace, comments excluded', () => {
    const text = `/**\n * doc\n */\n${fn('f', 10)}`;
    expect(measureUnits(file('shared/a.ts', text))).toEqual([
      { file: 'shared/a.ts', kind: 'function', name: 'f', lines: 10 },
    ]);
  });

  it('names nested, anonymous and class members by what holds them', () => {
    const text = [
      'export function outer() {',
      '  const inner = () => 1;',
      '  on("x", function () { return 2; });',
      '  return { method() { return 3; }, prop: () => 4 };',
      '}',
      'export class Box {',
      '  constructor() {}',
      '  get size() { return 1; }',
      '  open() { return 2; }',
      '  handler = () => 3;',
      '}',
      'export default () => 5;',
      'app.get("/", (c) => c);',
      'app.get("/b", (c) => c);',
    ].join('\n');
    expect(measureUnits(file('edge/a.ts', text)).map((u) => `${u.kind} ${u.name}`)).toEqual([
      'function outer',
      'function outer.inner',
      'function outer.on callback',
      'function outer.method',
      'function outer.prop',
      'class Box',
      'function Box.constructor',
      'function Box.size',
      'function Box.open',
      'function Box.handler',
      'function default',
      'function app.get callback',
      'function app.get callback#2',
    ]);
  });

  it('flags a function over 150 lines and a class over 300, not at the limit', () => {
    const files = [
      file(
        'shared/ok.ts',
        `${fn('atLimit', MAX_FUNCTION_LINES)}\n${cls('AtLimit', MAX_CLASS_LINES)}`,
      ),
      file(
        'shared/big.ts',
        `${fn('tooLong', MAX_FUNCTION_LINES + 1)}\n${cls('TooBig', MAX_CLASS_LINES + 1)}`,
      ),
      file('shared/big.test.ts', fn('testsMayBeLong', 500)),
    ];
    const report = checkStructure(files);
    expect(report.offenders.map((u) => [u.file, u.kind, u.name, u.lines])).toEqual([
      ['shared/big.ts', 'class', 'TooBig', 301],
      ['shared/big.ts', 'function', 'tooLong', 151],
    ]);
    expect(report.failures).toHaveLength(2);
  });

  it('flags the inner function of a long closure separately from the closure', () => {
    const inner = fn('inner', 160).replace('export ', '');
    const report = checkStructure([file('shared/a.ts', fn('outer', 200, inner))]);
    expect(report.offenders.map((u) => u.name)).toEqual(['outer', 'outer.inner']);
  });

  it('reads .tsx (Solid components)', () => {
    const body = Array.from({ length: 160 }, () => '      <p>line</p>').join('\n');
    const text = `export function Page() {\n  return (\n    <div>\n${body}\n    </div>\n  );\n}`;
    const [unit] = checkStructure([file('extension/components/Page.tsx', text)]).offenders;
    expect(unit).toMatchObject({ name: 'Page', kind: 'function' });
  });
});

describe('import cycles', () => {
  it('reads static imports and re-exports (type-only too), not packages or dynamic imports', () => {
    const text = [
      "import { a } from './a.ts';",
      "import type { B } from './b.ts';",
      "import { type C, d } from './cd.ts';",
      "export { e } from '../e.ts';",
      "export type { F } from './f.ts';",
      "export * from './g';",
      "import x from 'typescript';",
      "import './side-effect.ts';",
      "const lazy = () => import('./lazy.ts');",
    ].join('\n');
    expect(staticImports(file('shared/x/y.ts', text))).toEqual([
      './a.ts',
      './b.ts',
      './cd.ts',
      '../e.ts',
      './f.ts',
      './g',
      './side-effect.ts',
    ]);
  });

  it('resolves extensions and index files', () => {
    const known = new Set(['shared/a.ts', 'shared/b.tsx', 'shared/wire/index.ts', 'shared/c.ts']);
    expect(resolveImport('shared/x.ts', './a.ts', known)).toBe('shared/a.ts');
    expect(resolveImport('shared/x.ts', './a', known)).toBe('shared/a.ts');
    expect(resolveImport('shared/x.ts', './b', known)).toBe('shared/b.tsx');
    expect(resolveImport('shared/x.ts', './wire', known)).toBe('shared/wire/index.ts');
    expect(resolveImport('shared/client/x.ts', '../c.js', known)).toBe('shared/c.ts');
    expect(resolveImport('shared/client/x.ts', './missing.ts', known)).toBeUndefined();
  });

  it('finds every strongly connected group, self-imports included', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'd']],
      ['d', []],
      ['e', ['e']],
      ['f', ['d']],
    ]);
    expect(findCycles(graph)).toEqual([['a', 'b', 'c'], ['e']]);
  });

  it('reports a cycle between production files only', () => {
    const files = [
      file('shared/client/countdown.ts', "import { m } from './messages.ts';\nexport const c = 1;"),
      file('shared/client/messages.ts', "import { c } from './countdown';\nexport const m = 2;"),
      file('shared/client/helper.test.ts', "import { m } from './messages.ts';"),
      file('shared/client/testing/t.ts', "import { m } from '../messages.ts';"),
      file('shared/client/lazy.ts', "export const page = () => import('./page.ts');"),
      file('shared/client/page.ts', "import { page } from './lazy.ts';"),
    ];
    const report = checkStructure(files);
    expect(report.cycles).toEqual([['shared/client/countdown.ts', 'shared/client/messages.ts']]);
    expect(report.failures).toEqual([
      'import cycle among shared/client/countdown.ts, shared/client/messages.ts',
    ]);
    const typeOnly = checkStructure([
      file('shared/a.ts', "import type { B } from './b.ts';\nexport type A = 1;"),
      file('shared/b.ts', "import type { A } from './a.ts';\nexport type B = 2;"),
    ]);
    expect(typeOnly.cycles).toEqual([['shared/a.ts', 'shared/b.ts']]);
  });
});

describe('baseline', () => {
  const big = (lines: number) => file('edge/ws/connection.ts', cls('Connection', lines));
  const cycle = (extra: boolean) => [
    file('edge/a.ts', "import './b.ts';"),
    file('edge/b.ts', extra ? "import './c.ts';" : "import './a.ts';"),
    file('edge/c.ts', extra ? "import './a.ts';" : ''),
  ];

  it('tolerates baselined offenders and cycles while they do not grow', () => {
    const baseline = baselineOf(checkStructure([big(400), ...cycle(false)]));
    expect(baseline).toEqual({
      units: [{ file: 'edge/ws/connection.ts', kind: 'class', name: 'Connection', lines: 400 }],
      cycles: [['edge/a.ts', 'edge/b.ts']],
    });
    expect(checkStructure([big(400), ...cycle(false)], baseline).failures).toEqual([]);
    expect(checkStructure([big(350), ...cycle(false)], baseline).failures).toEqual([]);
  });

  it('fails when a baselined unit grows or a baselined cycle takes in another module', () => {
    const baseline = baselineOf(checkStructure([big(400), ...cycle(false)]));
    expect(checkStructure([big(401)], baseline).failures).toEqual([
      'edge/ws/connection.ts: class Connection has 401 lines (limit 300), grew from 400 (baseline)',
    ]);
    expect(checkStructure([big(400), ...cycle(true)], baseline).failures).toEqual([
      'import cycle among edge/a.ts, edge/b.ts, edge/c.ts',
    ]);
  });

  it('says which entries can go once the offender is split', () => {
    const baseline = baselineOf(checkStructure([big(400), ...cycle(false)]));
    const report = checkStructure(
      [big(300), file('edge/a.ts', ''), file('edge/b.ts', '')],
      baseline,
    );
    expect(report.failures).toEqual([]);
    expect(report.stale).toEqual([
      'edge/ws/connection.ts: class Connection is within its limit now',
      'import cycle among edge/a.ts, edge/b.ts is gone',
    ]);
  });
});
