/**
 * A device that has not learnt of its account's newest device yet, against
 * the REAL relay process (docs/protocol.md, "Own devices in every send"):
 * alice's A1 holds an own device list without A2 (its own-list fetches fail,
 * so neither its upkeep nor A2's device-list sync can tell it), and sends.
 * The relay answers `mismatch` naming A2 for alice's own account, so A1 adds
 * A2 and sends again: A2 gets the sent transcript, the new group and the
 * group's messages; bob gets every message exactly once.
 */
import { describe, expect, it } from 'vitest';
import type { SendFrame } from '../wire/frames.ts';
import type { ParleyClient } from './client.ts';
import type { FetchLike } from './deps.ts';
import { nodeFetch, textsOf, uniqueText, waitFor, waitTexts } from './testing/harness.ts';
import { useRelayProcess } from './testing/relay-fixture.ts';
import { type Tap, tapTransport } from './testing/tap.ts';

const relay = useRelayProcess({
  handleSuffix: 'us',
  relay: { env: { RATE_LIMIT_PASSKEY_PER_IP: '600/60' } },
});

/** A fetch that fails the account's own device list while `frozen` (A1 cannot learn of A2). */
function freezableFetch() {
  const state = { frozen: false, ownUser: '', refused: 0 };
  const fetch: FetchLike = (url, init) => {
    if (state.frozen && init.method === 'GET' && url.endsWith(`/users/${state.ownUser}/devices`)) {
      state.refused++;
      return Promise.reject(new TypeError('fetch failed (test: own device list frozen)'));
    }
    return nodeFetch(url, init);
  };
  return { state, fetch };
}

async function settled(...clients: ParleyClient[]): Promise<void> {
  for (const c of clients) {
    await waitFor(async () => ((await c.outboxSize()) === 0 ? true : undefined), 'outbox empty');
    await c.idle();
  }
}

/** The `send` frames A1 put on the wire with this id (hex), in order. */
function sendsWithId(tap: Tap, idHex: string): SendFrame[] {
  return tap.sent.filter(
    (f): f is SendFrame =>
      f.t === 'send' && Buffer.from((f as SendFrame).id).toString('hex') === idHex,
  );
}

/** alice's A1 (own device list frozen), bob, a chat between them, then A2 linked unseen by A1. */
async function setup() {
  const gate = freezableFetch();
  const tap = tapTransport();
  const a1 = await relay.newUser('alice', { fetch: gate.fetch, transport: tap.transport });
  const bob = await relay.newUser('bob');
  await bob.client.startConversation(a1.handle);
  await a1.client.startConversation(bob.handle);
  await settled(a1.client, bob.client);
  gate.state.ownUser = a1.userId;
  gate.state.frozen = true;
  const a2 = await relay.linkDevice(a1);
  await settled(a2.client);
  return { a1, a2, bob, gate, tap };
}

describe('a sibling device the sender does not know yet', () => {
  it('A1 sends bob a text: A2 gets the sent transcript, bob exactly one copy', async () => {
    const { a1, a2, bob, gate, tap } = await setup();
    const text = uniqueText('to bob, seen on A2');
    const sent = await a1.client.sendText({ conversationId: `u:${bob.userId}`, text });
    await waitTexts(bob.client, `u:${a1.userId}`, 1, 'bob has the text');
    await waitFor(async () => {
      const onA2 = await textsOf(a2.client, `u:${bob.userId}`).catch((): string[] => []);
      return onA2.includes(text) ? true : undefined;
    }, 'A2 has the sent transcript');
    await settled(a1.client, bob.client, a2.client);

    expect(await textsOf(bob.client, `u:${a1.userId}`)).toEqual([text]);
    // The first frame did not reach A2 (the relay refused it); the resend, same id, did.
    const frames = sendsWithId(tap, sent.id);
    expect(frames.length).toBeGreaterThanOrEqual(2);
    const own = (f: SendFrame) => f.to.find((r) => r.user === a1.userId);
    expect(own(frames[0] as SendFrame)?.devices ?? []).toEqual([]);
    expect(own(frames.at(-1) as SendFrame)?.devices.map((d) => d.device)).toEqual([a2.deviceId]);
    expect(gate.state.refused).toBeGreaterThan(0);
  });

  it('A1 creates a group with bob and writes in it: A2 gets the group and the text', async () => {
    const { a1, a2, bob } = await setup();
    const group = await a1.client.createGroup({ name: 'Unseen sibling', members: [bob.handle] });
    await waitFor(
      async () => (await a2.client.getGroup(group).catch(() => undefined)) ?? undefined,
      'A2 has the group',
    );
    await waitFor(
      async () => (await bob.client.getGroup(group).catch(() => undefined)) ?? undefined,
      'bob has the group',
    );
    await bob.client.acceptGroup(group);
    const text = uniqueText('in the group');
    await a1.client.sendText({ conversationId: group, text });
    await waitTexts(a2.client, group, 1, 'A2 has the group text');
    await waitTexts(bob.client, group, 1, 'bob has the group text');
    await settled(a1.client, bob.client, a2.client);
    expect(await textsOf(a2.client, group)).toEqual([text]);
    expect(await textsOf(bob.client, group)).toEqual([text]);
  });
});
