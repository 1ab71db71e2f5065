/**
 * Builds the UI preview (the real components, with the worker replaced by
 * previewData) with Vite + Solid into a temp folder and serves it on
 * 127.0.0.1, so the UI test can render every screen with realistic content.
 * Test-only.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { build } from 'vite';
import solid from 'vite-plugin-solid';

const here = resolve(import.meta.dirname);
const extension = resolve(here, '..', '..');

/** Real module → preview stand-in, matched on the resolved file. */
const SWAPS: Record<string, string> = {
  [join(extension, 'lib', 'rpc-client.ts')]: join(here, 'fake-rpc.ts'),
  [join(extension, 'lib', 'events.ts')]: join(here, 'fake-events.ts'),
  [join(extension, 'lib', 'attachments', 'transfer.ts')]: join(here, 'fake-transfer.ts'),
};

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
};

export interface Preview {
  readonly url: string;
  close(): Promise<void>;
}

export async function buildPreview(): Promise<Preview> {
  const outDir = mkdtempSync(join(tmpdir(), 'parley-preview-'));
  await build({
    root: here,
    configFile: false,
    logLevel: 'silent',
    plugins: [
      solid(),
      {
        name: 'parley-preview-swaps',
        enforce: 'pre',
        async resolveId(source, importer, options) {
          if (source === 'wxt/browser') return join(here, 'fake-browser.ts');
          const resolved = await this.resolve(source, importer, { ...options, skipSelf: true });
          const swap = resolved === null ? undefined : SWAPS[resolved.id];
          return swap ?? resolved;
        },
      },
    ],
    build: { outDir, emptyOutDir: true, minify: false, target: 'chrome137' },
  });
  const server: Server = createServer((req, res) => {
    const path = normalize(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '');
    if (path === 'favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    const file = join(outDir, path === '' ? 'index.html' : path);
    if (!file.startsWith(outDir)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = readFileSync(file);
      res
        .writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' })
        .end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/index.html`,
    async close() {
      await new Promise<void>((ok) => server.close(() => ok()));
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}
