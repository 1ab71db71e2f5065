/**
 * Linking with the CLI against a real relay process, exactly as `npm run cli`
 * runs it: `link-code` on a new profile prints the code and waits;
 * `link-approve <code> --yes` on the account's profile completes it. Then a
 * third user writes to the account and both devices read it; `devices` lists
 * both; `unlink` removes the new one, which the relay then refuses.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, jsonLines, ROOT, runCli, TSX, useCliWorkspace } from './testing/cli-process.ts';

const workspace = useCliWorkspace('cli-link');
const children: ChildProcess[] = [];
const cli = (...args: string[]) => runCli(args);

/** Starts `link-code` and resolves with the code it prints, and its exit. */
function startLinkCode(profile: string): { code: Promise<string>; done: Promise<string> } {
  const child = spawn(
    TSX,
    [
      CLI,
      'link-code',
      '--json',
      '--relay',
      workspace.relay.url,
      '--name',
      'headless',
      '--profile',
      profile,
    ],
    {
      cwd: ROOT,
    },
  );
  children.push(child);
  let stdout = '';
  let stderr = '';
  let gotCode: (code: string) => void = () => {};
  const code = new Promise<string>((r) => {
    gotCode = r;
  });
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    const line = jsonLines(stdout).find((l) => l.event === 'link-code');
    if (line !== undefined) gotCode(String(line.code));
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<string>((resolveDone, reject) =>
    child.on('exit', (status) =>
      status === 0
        ? resolveDone(stdout)
        : reject(new Error(`link-code exited ${status}: ${stderr}`)),
    ),
  );
  return { code, done };
}

// Runs before the workspace's own afterAll (a stack): the children go before the relay.
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill();
});

describe('npm run cli -- link-code / link-approve', () => {
  it('links a headless device; both devices read a third user; devices and unlink', async () => {
    const alice = ['--profile', join(workspace.dir, 'alice')];
    const alice2Dir = join(workspace.dir, 'alice2');
    const alice2 = ['--profile', alice2Dir];
    const bob = ['--profile', join(workspace.dir, 'bob')];
    await cli(
      'register',
      'link_alice',
      '--relay',
      workspace.relay.url,
      '--name',
      'laptop',
      ...alice,
    );
    await cli('register', 'link_bob', '--relay', workspace.relay.url, ...bob);

    // History: what Alice's first device holds before linking reaches the new one.
    await cli('send', 'link_alice', 'before', 'linking', '--json', ...bob);
    await cli('inbox', '--json', ...alice);

    const linking = startLinkCode(alice2Dir);
    const code = await linking.code;
    expect(code).toMatch(/^[1-9A-Z]{4}-[1-9A-Z]{4}-[1-9A-Z]{4}$/);
    const approved = jsonLines(await cli('link-approve', code, '--yes', '--json', ...alice));
    const approval = approved.find((l) => l.event === 'approved');
    expect(approval).toMatchObject({ event: 'approved', deviceName: 'headless' });
    expect(approved.at(-1)).toMatchObject({ event: 'history', sent: true, messages: true });
    const newLines = jsonLines(await linking.done);
    const linked = newLines.find((l) => l.event === 'linked');
    expect(linked).toMatchObject({ handle: 'link_alice', deviceId: approval?.deviceId });
    const history = newLines.find((l) => l.event === 'history');
    expect(history).toMatchObject({ imported: true });
    expect(history?.records).toBeGreaterThan(0);

    // Bob has no session with Alice yet: his first message fetches bundles for every device.
    const sent = JSON.parse(
      await cli('send', 'link_alice', 'to', 'both', 'devices', '--json', ...bob),
    );
    expect(sent).toMatchObject({ event: 'sent', state: 'stored' });
    for (const profile of [alice, alice2]) {
      const messages = jsonLines(await cli('inbox', '--json', ...profile)).filter(
        (l) => l.event === 'message',
      );
      expect(messages.map((m) => m.text)).toContain('to both devices');
      // Unread on the first device, so unread in the history the new one imported.
      expect(messages.map((m) => m.text)).toContain('before linking');
    }

    const devices = jsonLines(await cli('devices', '--json', ...alice));
    expect(devices.map((d) => d.name)).toEqual(['laptop', 'headless']);
    expect(devices[0]).toMatchObject({ current: true });

    const removed = Number(linked?.deviceId);
    expect(jsonLines(await cli('unlink', String(removed), '--json', ...alice))[0]).toMatchObject({
      event: 'unlinked',
      device: removed,
    });
    expect(jsonLines(await cli('devices', '--json', ...alice)).map((d) => d.id)).not.toContain(
      removed,
    );
    await expect(cli('devices', ...alice2)).rejects.toThrow();
  }, 300_000);
});
