#!/usr/bin/env node
// `npm start`: build the extension, then run the relay in the foreground and
// tell the user how to load the extension. Nothing else needs to be installed:
// Deno comes from npm, the database is a local libSQL file under ./data.
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

console.log('Building the extension…');
const build = spawnSync(bin('wxt'), ['build'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) {
  console.error('Extension build failed.');
  process.exit(build.status ?? 1);
}

const extensionPath = join(root, '.output', 'chrome-mv3');
const host = process.env.HOST ?? '127.0.0.1';
const port = process.env.PORT ?? '8787';
console.log(`
Parley extension built: ${extensionPath}
Load it in Chromium: open chrome://extensions, turn on "Developer mode",
click "Load unpacked" and choose the folder above.

Starting the relay on http://${host}:${port} (Ctrl+C to stop)…
`);

// Self-hosted, so node:http + ws: a socket message over the size limit is refused from its
// header, before the relay buffers it (docs/relay.md, "Limits and abuse"). HTTP_SERVER=deno
// chooses Deno.serve, the edge platforms' server.
const relay = spawn(bin('deno'), ['task', 'relay'], {
  cwd: root,
  stdio: 'inherit',
  env: { HTTP_SERVER: 'node', ...process.env },
});
const forward = (signal) => () => relay.kill(signal);
process.on('SIGINT', forward('SIGINT'));
process.on('SIGTERM', forward('SIGTERM'));
relay.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
