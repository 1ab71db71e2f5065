/**
 * `backup` and `restore` with the CLI against a real relay process: the first
 * backup prints a new recovery key once; a NEW profile holding only the
 * account's passkey restores the account from it as a new device (same user,
 * another device id) with --remove-others, and `devices` there lists itself alone.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayProcess } from '../edge/testing/relay-process.ts';

const run = promisify(execFile);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const CLI = join(ROOT, 'scripts', 'cli.ts');

let relay: RelayProcess;
let dir: string;

async function cli(env: Record<string, string>, ...args: string[]): Promise<string> {
  const { stdout } = await run(TSX, [CLI, ...args, '--json', '--relay', relay.url], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  });
  return stdout;
}

const jsonLines = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(async () => {
  relay = await RelayProcess.start();
  dir = mkdtempSync(join(tmpdir(), 'parley-cli-backup-'));
});

afterAll(async () => {
  await relay.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('cli backup and restore (real relay)', () => {
  it('backs up with a new recovery key and restores into a new profile as a new device', async () => {
    const old = join(dir, 'old');
    const fresh = join(dir, 'fresh');
    const handle = `cliback${Date.now() % 100000}`;
    const [registered] = jsonLines(await cli({}, 'register', handle, '--profile', old));
    // A run that connects lists the device in the account's signed list (docs/client.md).
    await cli({}, 'inbox', '--profile', old);
    expect(jsonLines(await cli({}, 'devices', '--profile', old)).map((d) => d.id)).toEqual([
      registered?.deviceId,
    ]);
    const [backup] = jsonLines(await cli({ PARLEY_RECOVERY_KEY: '' }, 'backup', '--profile', old));
    expect(backup).toMatchObject({ event: 'backup', seq: 1 });
    const recoveryKey = String(backup?.recoveryKey);
    expect(recoveryKey.replace(/[^0-9A-Z]/g, '')).toHaveLength(56);
    // A later backup with the key given prints no key.
    const [second] = jsonLines(
      await cli({ PARLEY_RECOVERY_KEY: recoveryKey }, 'backup', '--profile', old),
    );
    expect(second).toMatchObject({ event: 'backup', seq: 2 });
    expect(second?.recoveryKey).toBeUndefined();

    mkdirSync(fresh, { recursive: true });
    copyFileSync(join(old, 'passkey.json'), join(fresh, 'passkey.json'));
    const [restored] = jsonLines(
      await cli(
        { PARLEY_RECOVERY_KEY: recoveryKey },
        'restore',
        handle,
        '--remove-others',
        '--profile',
        fresh,
      ),
    );
    expect(restored).toMatchObject({ event: 'restored', userId: registered?.userId, seq: 2 });
    expect(restored?.deviceId).not.toBe(registered?.deviceId);
    expect(restored?.removed).toEqual([registered?.deviceId]);
    const devices = jsonLines(await cli({}, 'devices', '--profile', fresh));
    expect(devices.map((d) => d.id)).toEqual([restored?.deviceId]);
  });
});
