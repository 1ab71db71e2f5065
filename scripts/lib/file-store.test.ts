import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateSigningKeyPair, sign, verify } from '../../shared/crypto/ed25519.ts';
import { openFileStorage } from './file-store.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-cli-store-'));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const b = (...n: number[]) => new Uint8Array(n);

describe('CLI file storage', () => {
  it('keeps records across reopen, with batches all-or-nothing and a torn tail cut off', async () => {
    const dir = tempDir();
    const first = openFileStorage(dir);
    await first.records.write([
      { op: 'set', key: 'a/1', value: b(1) },
      { op: 'set', key: 'a/2', value: b(2) },
    ]);
    await first.records.write([
      { op: 'delete', key: 'a/1' },
      { op: 'set', key: 'a/3', value: b(3) },
    ]);
    first.close();
    // A crash in the middle of writing the next batch: a length prefix and half a payload.
    appendFileSync(join(dir, 'records.log'), b(0, 0, 0, 40, 0xa1, 0x63));

    const second = openFileStorage(dir);
    const rows = await second.records.list('a/');
    expect(rows.map(([k, v]) => [k, [...v]])).toEqual([
      ['a/2', [2]],
      ['a/3', [3]],
    ]);
    await second.records.write([{ op: 'set', key: 'a/4', value: b(4) }]);
    second.close();
    const third = openFileStorage(dir);
    expect((await third.records.list('a/', { reverse: true, limit: 1 }))[0]?.[0]).toBe('a/4');
    third.close();
    expect(statSync(join(dir, 'records.log')).mode & 0o777).toBe(0o600);
  });

  it('stores extractable keys as JWK and refuses non-extractable ones', async () => {
    const dir = tempDir();
    const storage = openFileStorage(dir);
    const pair = await generateSigningKeyPair(true);
    await storage.keys.setKey('device-key', pair.privateKey);
    const loaded = await storage.keys.getKey('device-key');
    if (loaded === undefined) throw new Error('key not stored');
    const message = b(1, 2, 3);
    expect(await verify(pair.publicKey, await sign(loaded, message), message)).toBe(true);
    await expect(
      storage.keys.setKey('other', (await generateSigningKeyPair(false)).privateKey),
    ).rejects.toThrow(/extractable/);
    expect(readFileSync(join(dir, 'keys.json'), 'utf8')).toContain('"crv":"Ed25519"');
    storage.close();
  });
});
