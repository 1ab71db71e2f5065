import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gzipBytes, htmlScripts, pageWeight, staticImports } from './sizes.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('static import graph of a built page', () => {
  it('finds static imports and re-exports but never lazy import() chunks', () => {
    const code =
      'import{a as b,c}from"./shared-1.js";import"./side.js";import*as ns from "./ns.js";' +
      'export{x}from"./re.js";const later=()=>import("./lazy.js");' +
      'const deps=["chunks/Lazy-2.js"];obj.import("./nope.js");';
    expect(staticImports(code).sort()).toEqual([
      './ns.js',
      './re.js',
      './shared-1.js',
      './side.js',
    ]);
  });

  it('reads module scripts and modulepreloads from the HTML', () => {
    const html =
      '<script type="module" crossorigin src="/chunks/popup.js"></script>' +
      '<link rel="modulepreload" crossorigin href="/chunks/shared.js">' +
      '<link rel="stylesheet" href="/assets/a.css">';
    expect(htmlScripts(html)).toEqual(['/chunks/popup.js', '/chunks/shared.js']);
  });

  it('sums what a page loads at open, each file once', () => {
    const root = mkdtempSync(join(tmpdir(), 'parley-sizes-'));
    dirs.push(root);
    mkdirSync(join(root, 'chunks'));
    writeFileSync(
      join(root, 'page.html'),
      '<script type="module" src="/chunks/entry.js"></script><link rel="modulepreload" href="/chunks/shared.js">',
    );
    writeFileSync(join(root, 'chunks', 'entry.js'), 'import"./shared.js";import("./lazy.js");');
    writeFileSync(join(root, 'chunks', 'shared.js'), 'import{x}from"./deep.js";export const y=x;');
    writeFileSync(join(root, 'chunks', 'deep.js'), 'export const x=1;');
    writeFileSync(join(root, 'chunks', 'lazy.js'), 'export const z=2;'.repeat(100));
    const weight = pageWeight(root, 'page.html');
    expect(weight.files).toEqual(['chunks/deep.js', 'chunks/entry.js', 'chunks/shared.js']);
    const expected = ['entry.js', 'shared.js', 'deep.js'].reduce(
      (sum, f) =>
        sum +
        gzipBytes(
          new TextEncoder().encode(
            {
              'entry.js': 'import"./shared.js";import("./lazy.js");',
              'shared.js': 'import{x}from"./deep.js";export const y=x;',
              'deep.js': 'export const x=1;',
            }[f],
          ),
        ),
      0,
    );
    expect(weight.gzipBytes).toBe(expected);
  });
});
