/**
 * What a page of the built extension loads before it can render: the module
 * scripts and modulepreloads in its HTML and, transitively, every static
 * `import` of those chunks (lazy `import()` chunks are not counted: they load
 * only when a screen needs them). Sizes are gzip -9 of the files as built.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

/** Module paths a chunk imports statically (`import ... from "x"`, `import "x"`, `export ... from "x"`). */
export function staticImports(code: string): string[] {
  const found = new Set<string>();
  const patterns = [
    // `import{a as b}from"./x.js"`, `import*as x from"./x.js"`, `import x from"./x.js"`, `import"./x.js"`;
    // never `import("./x.js")` (a lazy chunk).
    /(?:^|[^\w$.])import\s*(?:[\w$*{}\s,]+?\s*from\s*)?["']([^"']+)["']/g,
    /(?:^|[^\w$.])export\s*(?:\*|\{[^}]*\})\s*from\s*["']([^"']+)["']/g,
  ];
  for (const pattern of patterns) for (const m of code.matchAll(pattern)) if (m[1]) found.add(m[1]);
  return [...found];
}

/** `<script type="module" src>` and `<link rel="modulepreload" href>` of a built page. */
export function htmlScripts(html: string): string[] {
  const out: string[] = [];
  for (const m of html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"[^>]*>/g)) if (m[1]) out.push(m[1]);
  for (const m of html.matchAll(/<link\b[^>]*\brel="modulepreload"[^>]*\bhref="([^"]+)"[^>]*>/g))
    if (m[1]) out.push(m[1]);
  for (const m of html.matchAll(/<link\b[^>]*\bhref="([^"]+)"[^>]*\brel="modulepreload"[^>]*>/g))
    if (m[1]) out.push(m[1]);
  return out;
}

function resolveIn(root: string, fromFile: string | null, spec: string): string {
  if (spec.startsWith('/')) return join(root, spec);
  return resolve(fromFile === null ? root : dirname(fromFile), spec);
}

export interface PageWeight {
  /** Files loaded at open, relative to the build root. */
  readonly files: readonly string[];
  readonly rawBytes: number;
  readonly gzipBytes: number;
}

export function gzipBytes(bytes: Uint8Array): number {
  return gzipSync(bytes, { level: 9 }).byteLength;
}

/** The JS `page` (e.g. "popup.html") loads at open, with sizes. */
export function pageWeight(root: string, page: string): PageWeight {
  const html = readFileSync(join(root, page), 'utf8');
  const queue = htmlScripts(html).map((s) => resolveIn(root, null, s));
  const seen = new Set<string>();
  let rawBytes = 0;
  let gzip = 0;
  while (queue.length > 0) {
    const file = queue.shift();
    if (file === undefined || seen.has(file)) continue;
    seen.add(file);
    const bytes = readFileSync(file);
    rawBytes += bytes.byteLength;
    gzip += gzipBytes(bytes);
    for (const spec of staticImports(bytes.toString('utf8')))
      if (spec.startsWith('.') || spec.startsWith('/')) queue.push(resolveIn(root, file, spec));
  }
  return {
    files: [...seen].map((f) => f.slice(root.length + 1)).sort(),
    rawBytes,
    gzipBytes: gzip,
  };
}

/** One script file (the service worker). */
export function fileWeight(root: string, file: string): PageWeight {
  const bytes = readFileSync(join(root, file));
  return { files: [file], rawBytes: bytes.byteLength, gzipBytes: gzipBytes(bytes) };
}
