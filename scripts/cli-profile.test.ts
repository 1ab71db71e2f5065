/**
 * Two commands on one CLI profile, against a real relay process. Before the
 * profile lock, `send` on the profile a `listen` was using took over the
 * device's relay connection: `listen` printed "relay: stopped" and then sat
 * there receiving nothing. Now the second command is refused with an error
 * naming --profile, the listener keeps receiving, and a listener whose
 * connection is taken over anyway (a copied profile) exits 1 with the reason.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../shared/testing/wait.ts';
import { CLI, ROOT, TSX, useCliWorkspace } from './testing/cli-process.ts';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(...args: string[]): Promise<Run> {
  return cliWith({}, ...args);
}

function cliWith(env: Record<string, string>, ...args: string[]): Promise<Run> {
  return new Promise((resolveRun) => {
    const options = { cwd: ROOT, env: { ...process.env, ...env } };
    execFile(TSX, [CLI, ...args], options, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolveRun({ code, stdout, stderr });
    });
  });
}

interface Listener {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exit: Promise<number | null>;
}

function listen(...args: string[]): Listener {
  const child = spawn(TSX, [CLI, 'listen', ...args], { cwd: ROOT });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout?.on('data', (d: Buffer) => stdout.push(...d.toString().split('\n').filter(Boolean)));
  child.stderr?.on('data', (d: Buffer) => stderr.push(...d.toString().split('\n').filter(Boolean)));
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, stdout, stderr, exit };
}

const workspace = useCliWorkspace('cli-profile');
const listeners: Listener[] = [];

// Runs before the workspace's own afterAll (a stack): the listeners go before the relay.
afterAll(() => {
  for (const l of listeners) l.child.kill('SIGKILL');
});

describe('one CLI profile, two commands', () => {
  it('refuses a second command, keeps the listener hearing, and a taken-over listener exits 1', async () => {
    const alice = ['--profile', join(workspace.dir, 'alice')];
    expect(
      (await cli('register', 'lock_alice', '--relay', workspace.relay.url, ...alice)).code,
    ).toBe(0);

    const again = await cli('register', 'lock_carol', ...alice);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds lock_alice.*--profile DIR/);

    const plain = listen(...alice);
    listeners.push(plain);
    await waitUntil(() => plain.stderr.some((l) => l === 'relay: online'), 20_000, 50);

    const busy = await cli('send', 'lock_bob', 'hi', ...alice);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(
      /profile .*alice is in use by `npm run cli -- listen`.*--profile DIR/,
    );

    // Someone else writes to Alice: her listener still hears it.
    const carol = ['--profile', join(workspace.dir, 'carol')];
    await cli('register', 'lock_carol', '--relay', workspace.relay.url, ...carol);
    expect((await cli('send', 'lock_alice', 'still', 'listening', ...carol)).code).toBe(0);
    await waitUntil(() => plain.stdout.some((l) => l.includes('still listening')), 20_000, 50);
    expect(plain.stderr).not.toContain('relay: stopped (replaced)');

    // A copy of Alice's profile (no lock in it) connects as the same device: the
    // listener is replaced, and says so and exits instead of going deaf.
    const copy = join(workspace.dir, 'alice-copy');
    cpSync(join(workspace.dir, 'alice'), copy, {
      recursive: true,
      filter: (src) => !src.endsWith('lock'),
    });
    expect((await cli('inbox', '--profile', copy)).code).toBe(0);
    expect(await plain.exit).toBe(1);
    expect(plain.stderr.join('\n')).toMatch(
      /parley: listen stopped: another connection of this device took over/,
    );
  });

  it('register --seal makes a profile that opens only with PARLEY_PASSPHRASE and keeps texts sealed', async () => {
    const profile = join(workspace.dir, 'sealed');
    const sealed = ['--profile', profile];
    const pass = { PARLEY_PASSPHRASE: 'a long cli passphrase' };
    const made = await cliWith(
      pass,
      'register',
      'seal_dana',
      '--seal',
      '--relay',
      workspace.relay.url,
      ...sealed,
    );
    expect(made.code).toBe(0);
    const writer = ['--profile', join(workspace.dir, 'seal-writer')];
    await cli('register', 'seal_erin', '--relay', workspace.relay.url, ...writer);
    expect((await cli('send', 'seal_dana', 'SEALED-TEXT-42', ...writer)).code).toBe(0);

    const locked = await cli('whoami', ...sealed);
    expect(locked.code).toBe(1);
    expect(locked.stderr).toMatch(/is sealed: set PARLEY_PASSPHRASE/);
    const wrong = await cliWith({ PARLEY_PASSPHRASE: 'nope' }, 'whoami', ...sealed);
    expect(wrong.stderr).toMatch(/wrong passphrase/);

    const inbox = await cliWith(pass, 'inbox', ...sealed);
    expect(inbox.stdout).toContain('SEALED-TEXT-42');
    for (const file of readdirSync(profile))
      expect(readFileSync(join(profile, file)).includes(Buffer.from('SEALED-TEXT-42')), file).toBe(
        false,
      );
    // The passkey file holds only the sealed blob (base64url, which may contain "jwk" by chance).
    const passkeyFile = JSON.parse(readFileSync(join(profile, 'passkey.json'), 'utf8'));
    expect(Object.keys(passkeyFile)).toEqual(['sealed']);
    expect(passkeyFile.sealed).toMatch(/^[A-Za-z0-9_-]+$/);
  });
});
