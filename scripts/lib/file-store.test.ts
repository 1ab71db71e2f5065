import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { firstMismatch, modelStepArb } from '../../shared/client/testing/store-model.ts';
import { generateSigningKeyPair, sign, verify } from '../../shared/crypto/ed25519.ts';
import { waitUntil } from '../../shared/testing/wait.ts';
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

  it('leaves no old version of a record in the log once a command ends, or soon while it runs', async () => {
    const text = (t: string) => new TextEncoder().encode(t);
    const logHas = (dir: string, t: string) =>
      readFileSync(join(dir, 'records.log')).includes(Buffer.from(t));

    // Replaced and deleted records are gone from the file when the store closes.
    const dir = tempDir();
    const store = openFileStorage(dir, { compactDelayMs: 60_000 });
    await store.records.write([{ op: 'set', key: 'msg/1', value: text('first draft SECRET-A') }]);
    await store.records.write([{ op: 'set', key: 'msg/1', value: text('final text') }]);
    await store.records.write([{ op: 'set', key: 'msg/2', value: text('disappearing SECRET-B') }]);
    await store.records.write([{ op: 'delete', key: 'msg/2' }]);
    expect(logHas(dir, 'SECRET-A')).toBe(true);
    store.close();
    expect(logHas(dir, 'SECRET-A')).toBe(false);
    expect(logHas(dir, 'SECRET-B')).toBe(false);
    const reopened = openFileStorage(dir);
    expect(new TextDecoder().decode(await reopened.records.get('msg/1'))).toBe('final text');
    expect(await reopened.records.get('msg/2')).toBeUndefined();

    // A long-running command (listen) compacts shortly after the write.
    const live = tempDir();
    const running = openFileStorage(live, { compactDelayMs: 20 });
    await running.records.write([{ op: 'set', key: 'k', value: text('SECRET-C') }]);
    await running.records.write([{ op: 'delete', key: 'k' }]);
    await waitUntil(() => !logHas(live, 'SECRET-C'), 5_000, 10);
    await running.records.write([{ op: 'set', key: 'k2', value: text('kept') }]);
    running.close();
    reopened.close();

    // A command killed before it compacted: the next open compacts.
    const crashed = tempDir();
    const killed = openFileStorage(crashed, { compactDelayMs: 60_000 });
    await killed.records.write([{ op: 'set', key: 'k', value: text('SECRET-D') }]);
    await killed.records.write([{ op: 'set', key: 'k', value: text('newer') }]);
    expect(logHas(crashed, 'SECRET-D')).toBe(true);
    const next = openFileStorage(crashed);
    expect(logHas(crashed, 'SECRET-D')).toBe(false);
    expect(new TextDecoder().decode(await next.records.get('k'))).toBe('newer');
    next.close();
    killed.close();
  });
});

describe('CLI file storage against a naive model', () => {
  it('answers every list and paged walk like a re-sorted copy, across writes, deletes and reopen', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(modelStepArb, { maxLength: 30 }),
        fc.array(modelStepArb, { maxLength: 10 }),
        async (before, after) => {
          const dir = tempDir();
          const model = new Map<string, Uint8Array>();
          const first = openFileStorage(dir);
          try {
            expect(await firstMismatch(first.records, before, model)).toBeUndefined();
          } finally {
            first.close();
          }
          // Reopened, the kept order is rebuilt from the log: the same answers.
          const second = openFileStorage(dir);
          try {
            expect(await firstMismatch(second.records, after, model)).toBeUndefined();
          } finally {
            second.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
