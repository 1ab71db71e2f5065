/**
 * The reference peer: a copy of the built extension with one extra page,
 * `hello.html`, the smallest Solid page (hello/), built with Vite and the
 * Solid compiler like the extension's pages. Loaded as part of the same
 * extension, it opens the same way the popup does (a chrome-extension://
 * document in the same browser), so the two first-render numbers compare
 * like with like.
 */
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import solid from 'vite-plugin-solid';

const HELLO_ROOT = join(dirname(fileURLToPath(import.meta.url)), 'hello');
export const HELLO_PAGE = 'hello.html';

export interface ReferenceExtension {
  /** The extension copy with hello.html inside. */
  readonly dir: string;
  dispose(): void;
}

export async function buildReferenceExtension(extensionDir: string): Promise<ReferenceExtension> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-ui-'));
  cpSync(extensionDir, dir, { recursive: true });
  await build({
    root: HELLO_ROOT,
    configFile: false,
    logLevel: 'silent',
    base: '/',
    plugins: [solid()],
    build: {
      outDir: dir,
      emptyOutDir: false,
      assetsDir: 'hello-assets',
      // As WXT builds the extension pages: minified, no source maps.
      minify: true,
      sourcemap: false,
    },
  });
  renameSync(join(dir, 'index.html'), join(dir, HELLO_PAGE));
  // The page must be allowed by the manifest's CSP as it stands: module scripts from 'self' only.
  const html = readFileSync(join(dir, HELLO_PAGE), 'utf8');
  if (/<script(?![^>]*\bsrc=)[^>]*>/.test(html)) throw new Error('hello.html has an inline script');
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
