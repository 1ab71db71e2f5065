#!/usr/bin/env node
// pretest: make sure the system packages the tests drive for real are present.
// As root, install them with apt; otherwise stop and print the exact command.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const needs = [
  { pkg: 'chromium', present: () => existsSync('/usr/bin/chromium') },
  {
    pkg: 'redis-server',
    present: () => spawnSync('sh', ['-c', 'command -v redis-server']).status === 0,
  },
];

const missing = needs.filter((n) => !n.present()).map((n) => n.pkg);
if (missing.length === 0) process.exit(0);

const command = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot) {
  console.error(
    `Missing system packages: ${missing.join(', ')}. Run as root:\n  sudo sh -c '${command}'`,
  );
  process.exit(1);
}
console.log(`Installing system packages: ${missing.join(', ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], {
  stdio: 'inherit',
  env,
});
