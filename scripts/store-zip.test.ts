import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ConfigEnv, UserManifest } from 'wxt';
import config from '../wxt.config.ts';

async function manifestFor(mode: string): Promise<UserManifest> {
  const manifest = config.manifest;
  if (typeof manifest !== 'function') throw new Error('manifest must depend on the build mode');
  const env: ConfigEnv = { mode, command: 'build', browser: 'chrome', manifestVersion: 3 };
  return await manifest(env);
}

describe('store package', () => {
  it('`npm run zip` builds in store mode, whose manifest has no `key` (the Web Store rejects one)', async () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.zip).toBe('wxt zip --mode store');
    expect(await manifestFor('store')).not.toHaveProperty('key');
  });

  it('every other build keeps the key that pins the unpacked extension id', async () => {
    const key = (JSON.parse(readFileSync('extension/manifest-key.json', 'utf8')) as { key: string })
      .key;
    expect((await manifestFor('production')).key).toBe(key);
    expect((await manifestFor('development')).key).toBe(key);
  });
});
