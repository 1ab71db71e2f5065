/**
 * The worker's link job on path B (docs/extension.md, "Linked devices")
 * against the REAL relay process: the new browser's job shows a link string,
 * waits in phase `check` for the typed check code, counts wrong ones, and
 * links once the right one is typed; three wrong ones fail the job with
 * nothing linked. The existing side is the client core's approveLink.
 */
import { describe, expect, it } from 'vitest';
import { createClient } from '../../../shared/client/client.ts';
import { approveLink } from '../../../shared/client/linking/existing-device.ts';
import { registerLinkedDevice } from '../../../shared/client/linking/register-linked-device.ts';
import type { ParleyClient } from '../../../shared/client/parley-client.ts';
import {
  nodeClientDeps,
  nodeFetch,
  nodeTimers,
  TEST_ORIGIN,
  waitFor,
} from '../../../shared/client/testing/harness.ts';
import { existingLinkSide } from '../../../shared/client/testing/link-sides.ts';
import { useRelayProcess } from '../../../shared/client/testing/relay-fixture.ts';
import { systemRandom } from '../../../shared/crypto/random.ts';
import { ErrorCode, isParleyError } from '../../../shared/errors.ts';
import type { LinkState } from '../../lib/protocol.ts';
import { LinkJobs } from './link-jobs.ts';
import { UserVerification } from './user-verification.ts';

const relay = useRelayProcess();

function newBrowser(): { jobs: LinkJobs; client: ParleyClient; started: () => boolean } {
  const client = createClient(nodeClientDeps());
  relay.track(client);
  const jobs = new LinkJobs({
    fetch: nodeFetch,
    blobFetch: (url, init) => fetch(url, init),
    timers: nodeTimers,
    now: Date.now,
    random: systemRandom,
    origin: TEST_ORIGIN,
    pollMs: 50,
    client,
    verification: new UserVerification(Date.now),
    changed: () => {},
  });
  let started = false;
  jobs.startNew({
    relayUrl: relay.url,
    deviceName: 'Laptop Chromium',
    path: 'string',
    register: (payload) => registerLinkedDevice(client, payload, { deviceName: 'Laptop Chromium' }),
    start: async () => {
      started = true;
    },
  });
  return { jobs, client, started: () => started };
}

/** The job's state once `ready` holds for it. */
async function stateWhen(jobs: LinkJobs, ready: (s: LinkState) => boolean): Promise<LinkState> {
  return waitFor(
    () => (ready(jobs.state()) ? jobs.state() : undefined),
    () => `a link state; it is ${JSON.stringify(jobs.state())}`,
  );
}

const wrong = (right: string) => (right === '000000' ? '000001' : '000000');

describe('link job, path B (real relay)', () => {
  it('shows a link string, refuses a wrong check code, links with the right one', async () => {
    const alice = await relay.newUser('alice');
    const { jobs, started } = newBrowser();
    const waiting = await stateWhen(jobs, (s) => s.linkString !== undefined);
    expect(waiting).toMatchObject({ role: 'new', phase: 'waiting' });
    expect(waiting.code).toBeUndefined();
    let shown = '';
    const approved = approveLink(
      existingLinkSide(relay.url, alice, waiting.linkString ?? '', {
        onCheckCode: (c) => {
          shown = c;
        },
      }),
    );
    const asked = await stateWhen(jobs, (s) => s.phase === 'check');
    expect(asked.checkMisses).toBe(0);
    expect(shown).toMatch(/^\d{6}$/);
    // Only path B's check phase takes a check code.
    const missed = await jobs.answerCheckCode(wrong(shown));
    expect(missed).toMatchObject({ phase: 'check', checkMisses: 1 });
    const matched = await jobs.answerCheckCode(shown);
    expect(matched.phase).toBe('confirm');
    const linked = await approved;
    const done = await stateWhen(jobs, (s) => s.phase === 'done');
    expect(done.handle).toBe(alice.handle);
    expect(linked.deviceName).toBe('Laptop Chromium');
    expect(started()).toBe(true);
  });

  it('three wrong check codes fail the job; nothing is linked or started', async () => {
    const alice = await relay.newUser('alice');
    const { jobs, client, started } = newBrowser();
    const waiting = await stateWhen(jobs, (s) => s.linkString !== undefined);
    let shown = '';
    const approved = approveLink(
      existingLinkSide(relay.url, alice, waiting.linkString ?? '', {
        onCheckCode: (c) => {
          shown = c;
        },
      }),
    ).then(
      () => 'linked',
      (e: unknown) => (isParleyError(e, ErrorCode.LINK_FAILED) ? e.details?.reason : e),
    );
    for (let miss = 0; miss < 3; miss++) {
      await stateWhen(jobs, (s) => s.phase === 'check' && s.checkMisses === miss);
      await jobs.answerCheckCode(wrong(shown));
    }
    const failed = await stateWhen(jobs, (s) => s.phase === 'failed');
    expect(failed.failure).toEqual({ code: ErrorCode.LINK_FAILED, reason: 'check-code' });
    expect(await approved).toBe('confirmation');
    expect(client.account()).toBeUndefined();
    expect(started()).toBe(false);
    await expect(jobs.answerCheckCode(shown)).rejects.toMatchObject({ code: 'LINK_NOT_RUNNING' });
  });
});
