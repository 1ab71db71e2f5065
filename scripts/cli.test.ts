/**
 * The CLI end to end: two profiles register on a real relay process, one
 * sends, the other fetches its inbox, through `tsx scripts/cli.ts` exactly as
 * `npm run cli -- …` runs it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayProcess } from '../edge/testing/relay-process.ts';

const run = promisify(execFile);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

let relay: RelayProcess;
let dir: string;

async function cli(...args: string[]): Promise<string> {
  const { stdout } = await run(TSX, [join(ROOT, 'scripts', 'cli.ts'), ...args], { cwd: ROOT });
  return stdout;
}

beforeAll(async () => {
  relay = await RelayProcess.start();
  dir = mkdtempSync(join(tmpdir(), 'parley-cli-'));
});

afterAll(async () => {
  await relay.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('npm run cli', () => {
  it('registers two profiles, sends, and reads the inbox', async () => {
    const alice = ['--profile', join(dir, 'alice')];
    const bob = ['--profile', join(dir, 'bob')];
    expect(await cli('register', 'cli_alice', '--relay', relay.url, ...alice)).toMatch(
      /^registered cli_alice: user [0-9a-f-]{36}, device \d+/,
    );
    await cli('register', 'cli_bob', '--relay', relay.url, ...bob);
    const sent = JSON.parse(
      await cli('send', 'cli_bob', 'hello', 'from', 'the', 'cli', '--json', ...alice),
    );
    expect(sent).toMatchObject({ event: 'sent', state: 'stored' });

    const lines = (await cli('inbox', '--json', ...bob))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({
      event: 'conversation',
      title: 'cli_alice',
      unread: 1,
      isRequest: true,
    });
    expect(lines[1]).toMatchObject({
      event: 'message',
      text: 'hello from the cli',
      outgoing: false,
    });
    const whoami = JSON.parse(await cli('whoami', '--json', ...bob));
    expect(whoami).toMatchObject({ handle: 'cli_bob', relayUrl: relay.url });
  });
});
