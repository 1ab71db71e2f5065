/**
 * Joined and invited group members against the REAL relay process
 * (docs/protocol.md "Joined and invited members"): members added to a group
 * show as invited until the others hear from them (their receipts, texts,
 * sender keys or signed states), and the member count counts joined members.
 */
import { describe, expect, it } from 'vitest';
import type { ParleyClient } from './client.ts';
import { textsOf, uniqueText, waitFor } from './testing/harness.ts';
import { useRelayProcess } from './testing/relay-fixture.ts';

const relay = useRelayProcess({
  handleSuffix: 'i',
  relay: { env: { RATE_LIMIT_PASSKEY_PER_IP: '600/60' } },
});

const user = (name: string) => relay.newUser(name);

async function statuses(client: ParleyClient, group: string): Promise<Record<string, string>> {
  const view = await client.getGroup(group);
  return Object.fromEntries(view.members.map((m) => [m.userId, m.status]));
}

async function waitGroup(client: ParleyClient, group: string) {
  await waitFor(async () => client.getGroup(group).catch(() => undefined), 'the group');
}

describe('joined and invited group members', () => {
  it('members added to a group are invited until they accept; the count is of joined members', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const carol = await user('carol');
    const group = await alice.client.createGroup({
      name: 'Invites',
      members: [bob.handle, carol.handle],
    });
    expect(await statuses(alice.client, group)).toEqual({
      [alice.userId]: 'joined',
      [bob.userId]: 'invited',
      [carol.userId]: 'invited',
    });
    expect((await alice.client.getConversation(group)).group?.members).toBe(1);

    // Bob sees the creator as joined, Carol (added with him) as invited, himself invited.
    await waitGroup(bob.client, group);
    await waitGroup(carol.client, group);
    expect(await statuses(bob.client, group)).toEqual({
      [alice.userId]: 'joined',
      [bob.userId]: 'invited',
      [carol.userId]: 'invited',
    });

    // Both get a message; their receipts are held while the group is a request.
    const hello = uniqueText('hello');
    await alice.client.sendText({ conversationId: group, text: hello });
    for (const m of [bob, carol]) {
      await waitFor(async () => (await textsOf(m.client, group)).includes(hello), hello);
    }
    expect((await statuses(alice.client, group))[bob.userId]).toBe('invited');

    // Bob accepts: his held receipt goes out, and Alice learns he joined. Carol did not.
    await bob.client.acceptGroup(group);
    expect((await statuses(bob.client, group))[bob.userId]).toBe('joined');
    await waitFor(
      async () => (await statuses(alice.client, group))[bob.userId] === 'joined',
      'Bob joined on Alice',
    );
    expect((await statuses(alice.client, group))[carol.userId]).toBe('invited');
    expect((await alice.client.getConversation(group)).group?.members).toBe(2);

    // Bob's text tells Carol he joined; she has not accepted, so she is still invited.
    const reply = uniqueText('hi');
    await bob.client.sendText({ conversationId: group, text: reply });
    await waitFor(async () => (await textsOf(carol.client, group)).includes(reply), reply);
    expect(await statuses(carol.client, group)).toEqual({
      [alice.userId]: 'joined',
      [bob.userId]: 'joined',
      [carol.userId]: 'invited',
    });
  });
});
