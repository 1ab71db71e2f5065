#!/usr/bin/env node
// The npm registry reachable from this project's machines does not mirror the
// native packages of other platforms (e.g. @rollup/rollup-darwin-arm64 answers
// 404). `npm install` then drops those optional dependencies from
// package-lock.json, and `npm ci` refuses the lock as "out of sync". This
// script restores a lock entry (version + os/cpu/libc, no tarball) for every
// optional platform package a locked package declares but the lock lacks, so
// `npm ci` skips them by platform without fetching. Run it after changing
// dependencies: `node scripts/lock-platform-entries.mjs`.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;

const OS = [
  'android',
  'darwin',
  'linux',
  'win32',
  'freebsd',
  'openbsd',
  'openharmony',
  'netbsd',
  'sunos',
  'aix',
];
const CPU = [
  'arm64',
  'x64',
  'ia32',
  'arm',
  'loong64',
  'ppc64',
  'riscv64',
  's390x',
  'mips64el',
  'wasm32',
];

function platformOf(name) {
  const tokens = name.split('/').pop().split('-');
  const os =
    tokens.find((t) => OS.includes(t)) ?? (tokens.includes('windows') ? 'win32' : undefined);
  let cpu = tokens.find((t) => CPU.includes(t));
  if (!cpu && tokens.includes('arm')) cpu = 'arm';
  const libc =
    tokens.includes('musl') || tokens.includes('musleabihf')
      ? 'musl'
      : tokens.includes('gnu') || tokens.includes('glibc') || tokens.includes('gnueabihf')
        ? 'glibc'
        : undefined;
  return { os, cpu, libc };
}

let added = 0;
for (const [key, entry] of Object.entries(packages)) {
  const optional = entry.optionalDependencies ?? {};
  for (const [dep, range] of Object.entries(optional)) {
    const base = key === '' ? '' : `${key}/`;
    const nested = `${base}node_modules/${dep}`;
    const hoisted = `node_modules/${dep}`;
    if (packages[nested] || packages[hoisted]) continue;
    const { os, cpu, libc } = platformOf(dep);
    if (!os && !cpu) continue; // not a platform package: leave npm's decision alone
    const version = String(range).replace(/^[\^~=]/, '');
    // Keys in the order `npm install` writes them (version, then the rest
    // sorted), or the next `npm install` rewrites every restored entry and a
    // fresh clone's tree is dirty.
    const fields = { optional: true };
    if (entry.dev) fields.dev = true;
    if (cpu) fields.cpu = [cpu];
    if (os) fields.os = [os];
    if (libc) fields.libc = [libc];
    packages[hoisted] = {
      version,
      ...Object.fromEntries(Object.entries(fields).sort(([a], [b]) => a.localeCompare(b))),
    };
    added++;
  }
}

lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(
  `lock-platform-entries: restored ${added} platform package entr${added === 1 ? 'y' : 'ies'}`,
);
