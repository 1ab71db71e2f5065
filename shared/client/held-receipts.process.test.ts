/**
 * Receipts held back before a request is accepted, against the REAL relay
 * process with real clients: nothing reaches the author while the request
 * (or group invitation) is pending, and once it is accepted, answered or
 * written in, the delivery and read receipts that were held back go out, so
 * the author's "Stored on relay" (or "read by 1 of 2") moves on.
 */
import { describe, expect, it } from 'vitest';
import type { MessageView, ParleyClient } from './client.ts';
import { messagesOf, settle, type TestUser, uniqueText, waitFor } from './testing/harness.ts';
import { useRelayProcess } from './testing/relay-fixture.ts';

const relay = useRelayProcess({ handleSuffix: 'h' });
const say = uniqueText;

const user = (name: string): Promise<TestUser> => relay.newUser(name);

async function message(client: ParleyClient, conversationId: string, text: string) {
  return waitFor(
    async () =>
      (await messagesOf(client, conversationId).catch(() => [])).find((m) => m.text === text),
    `"${text}"`,
  );
}

/** Waits until the message `text` shows what `check` wants; returns it. */
async function until(
  client: ParleyClient,
  conversationId: string,
  text: string,
  check: (m: MessageView) => boolean,
  what: string,
) {
  return waitFor(async () => {
    const m = await message(client, conversationId, text);
    return check(m) ? m : undefined;
  }, what);
}

describe('receipts held back until a request is accepted', () => {
  it('1:1: read before accepting stays "stored" for the sender; accepting sends delivered and read', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const chat = (await alice.client.startConversation(bob.handle)).id;
    const first = say('first message to a stranger');
    await alice.client.sendText({ conversationId: chat, text: first });
    const bobChat = `u:${alice.userId}`;
    await message(bob.client, bobChat, first);
    await bob.client.markRead({ conversationId: bobChat });
    await settle(alice, bob);
    // Privacy: a request hears nothing back, not even "delivered".
    expect((await message(alice.client, chat, first)).state).toBe('stored');

    await bob.client.acceptRequest(alice.userId);
    await until(alice.client, chat, first, (m) => m.state === 'read', 'read after accept');
  });

  it('1:1: replying to a request accepts it and releases the held receipts', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const chat = (await alice.client.startConversation(bob.handle)).id;
    const first = say('hello, do you remember me?');
    await alice.client.sendText({ conversationId: chat, text: first });
    const bobChat = `u:${alice.userId}`;
    await message(bob.client, bobChat, first);
    await settle(alice, bob);
    expect((await message(alice.client, chat, first)).state).toBe('stored');

    await bob.client.sendText({ conversationId: bobChat, text: say('yes, hi!') });
    await until(alice.client, chat, first, (m) => m.state === 'delivered', 'delivered after reply');
  });

  it('1:1: a deleted request leaves nothing held: accepting a later request reveals nothing about it', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const chat = (await alice.client.startConversation(bob.handle)).id;
    const deleted = say('a message bob deletes unread');
    await alice.client.sendText({ conversationId: chat, text: deleted });
    const bobChat = `u:${alice.userId}`;
    await message(bob.client, bobChat, deleted);
    await bob.client.markRead({ conversationId: bobChat });
    await settle(alice, bob);
    await bob.client.deleteConversation(bobChat);

    const again = say('trying once more');
    await alice.client.sendText({ conversationId: chat, text: again });
    await message(bob.client, bobChat, again);
    await bob.client.acceptRequest(alice.userId);
    await until(alice.client, chat, again, (m) => m.state === 'delivered', 'the new one delivered');
    await settle(alice, bob);
    expect((await message(alice.client, chat, deleted)).state).toBe('stored');
  });

  it('group: read before accepting the invitation counts once the invitation is accepted', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const carol = await user('carol');
    const group = await alice.client.createGroup({
      name: 'Held',
      members: [bob.handle, carol.handle],
    });
    await waitFor(
      async () => (await bob.client.getGroup(group).catch(() => undefined)) !== undefined,
      'bob has the group',
    );
    await bob.client.acceptGroup(group);
    await waitFor(
      async () => (await carol.client.getGroup(group).catch(() => undefined)) !== undefined,
      'carol has the group',
    );

    const text = say('plans for saturday');
    await alice.client.sendText({ conversationId: group, text });
    await message(bob.client, group, text);
    await message(carol.client, group, text);
    await bob.client.markRead({ conversationId: group });
    await carol.client.markRead({ conversationId: group });
    await until(alice.client, group, text, (m) => m.receipts?.read === 1, 'read by bob');
    await settle(alice, bob, carol);
    expect((await message(alice.client, group, text)).receipts).toEqual({
      delivered: 1,
      read: 1,
      total: 2,
    });

    await carol.client.acceptGroup(group);
    const done = await until(
      alice.client,
      group,
      text,
      (m) => m.receipts?.read === 2,
      'read by both after carol accepts',
    );
    expect(done.receipts).toEqual({ delivered: 2, read: 2, total: 2 });
  });
});
