/**
 * The CLI end to end: two profiles register on a real relay process, one
 * sends, the other fetches its inbox, through `tsx scripts/cli.ts` exactly as
 * `npm run cli -- …` runs it.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, useCliWorkspace } from './testing/cli-process.ts';

const workspace = useCliWorkspace('cli');
const cli = (...args: string[]) => runCli(args);

describe('npm run cli', () => {
  it('registers two profiles, sends, and reads the inbox', async () => {
    const alice = ['--profile', join(workspace.dir, 'alice')];
    const bob = ['--profile', join(workspace.dir, 'bob')];
    expect(await cli('register', 'cli_alice', '--relay', workspace.relay.url, ...alice)).toMatch(
      /^registered cli_alice: user [0-9a-f-]{36}, device \d+/,
    );
    await cli('register', 'cli_bob', '--relay', workspace.relay.url, ...bob);
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
    expect(whoami).toMatchObject({ handle: 'cli_bob', relayUrl: workspace.relay.url });
  });
});
