/**
 * `backup` and `restore` with the CLI against a real relay process: the first
 * backup prints a new recovery key once; a NEW profile holding only the
 * account's passkey restores the account from it as a new device (same user,
 * another device id) with --remove-others, and `devices` there lists itself alone.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonLines, runCli, useCliWorkspace } from './testing/cli-process.ts';

const workspace = useCliWorkspace('cli-backup');

function cli(env: Record<string, string>, ...args: string[]): Promise<string> {
  return runCli([...args, '--json', '--relay', workspace.relay.url], env);
}

describe('cli backup and restore (real relay)', () => {
  it('backs up with a new recovery key and restores into a new profile as a new device', async () => {
    const old = join(workspace.dir, 'old');
    const fresh = join(workspace.dir, 'fresh');
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
