import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateSigningKeyPair } from '../../shared/crypto/ed25519.ts';
import { openFileStorage } from './file-store.ts';
import { createSeal, openSeal, ProfileSealError } from './profile-seal.ts';

// Small Argon2id cost for the test; profiles get SEAL_DEFAULTS (128 MiB, 3 passes).
const CHEAP = { memoryKiB: 1024, iterations: 1, parallelism: 1 };

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-cli-seal-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function filesContain(dir: string, needle: string): string[] {
  return readdirSync(dir).filter((f) => readFileSync(join(dir, f)).includes(Buffer.from(needle)));
}

describe('passphrase-sealed CLI profile', () => {
  it('keeps record values and keys sealed on disk and opens them with the passphrase only', async () => {
    const dir = tempDir();
    const sealer = await createSeal(dir, 'correct horse', CHEAP);
    const store = openFileStorage(dir, { sealer });
    await store.records.write([
      { op: 'set', key: 'msg/1', value: new TextEncoder().encode('MEET AT NOON') },
    ]);
    const pair = await generateSigningKeyPair(true);
    await store.keys.setKey('device-key', pair.privateKey);
    store.close();
    expect(filesContain(dir, 'MEET AT NOON')).toEqual([]);
    expect(readFileSync(join(dir, 'keys.json'), 'utf8')).not.toMatch(/"d"|Ed25519/);

    const again = openFileStorage(dir, { sealer: await openSeal(dir, 'correct horse') });
    expect(new TextDecoder().decode(await again.records.get('msg/1'))).toBe('MEET AT NOON');
    expect((await again.records.list('msg/')).length).toBe(1);
    expect((await again.keys.getKey('device-key'))?.algorithm.name).toBe('Ed25519');
    again.close();

    await expect(openSeal(dir, 'wrong horse')).rejects.toMatchObject({ code: 'PASSPHRASE_WRONG' });
    await expect(openSeal(dir, undefined)).rejects.toBeInstanceOf(ProfileSealError);
    await expect(openSeal(dir, undefined)).rejects.toThrow(/PARLEY_PASSPHRASE/);
  });
});
