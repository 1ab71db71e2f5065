/**
 * The extension's client runtime and request table against the REAL relay process, in
 * Node: the worker's storage shape (records that throw VAULT_LOCKED while
 * locked, key slots that keep working), the real LockedInbox, `ws` for the
 * worker's WebSocket. The other side is a plain shared/client user. Covers
 * onboarding through the core, page views and ids, notifications and unread
 * counts, the locked inbox, a worker that dies (fresh core on the same
 * storage, locked) with messages waiting in both directions, and error codes.
 */

import { describe, expect, it } from 'vitest';
import type { FetchLike } from '../../../shared/client/deps.ts';
import { nodeFetch, softAuthenticator, waitFor } from '../../../shared/client/testing/harness.ts';
import { errorOf } from '../../../shared/testing/errors.ts';
import type { RegistrationCredentialJson } from '../../lib/protocol.ts';
import { coreTestingOnRelay } from '../../testing/core-profile.ts';
import { toRelayStatus } from './worker-client.ts';

const { relay, profile, onboard, peer, textsOf, peerTexts } = coreTestingOnRelay();

describe('the worker on the client core, against the real relay', () => {
  it('onboards, chats both ways with page ids, receipts, notifications, unread and safety numbers', async () => {
    const alice = await onboard('alice');
    const bob = await peer('bob');
    expect(await alice.meta.get('device-address')).toMatchObject({ relayUrl: relay().url });
    expect(alice.wakes).toBeGreaterThan(0);
    expect(alice.statuses.at(-1)?.state).toBe('online');

    const chat = await alice.call('startConversation', { handle: bob.handle });
    expect(chat).toMatchObject({ title: bob.handle, unread: 0, lastMessage: null });
    const sent = await alice.call('sendText', { conversationId: chat.id, text: 'hello bob' });
    expect(sent).toMatchObject({ outgoing: true, state: 'sending', senderHandle: alice.handle });
    expect(sent.id).toMatch(/^\d{16}\.[0-9a-f]{32}$/);

    const bobChat = `u:${(await alice.call('getContact', { conversationId: chat.id })).userId}`;
    expect(bobChat).toBe(chat.id);
    const aliceOnBob = await waitFor(
      async () => (await bob.client.listConversations())[0],
      'bob sees the conversation',
    );
    await waitFor(
      async () => (await peerTexts(bob, aliceOnBob.id)).includes('hello bob'),
      'bob gets it',
    );
    // Alice is a message request for Bob: nothing goes back until he accepts. Then
    // her next message comes back delivered, and read once he reads it.
    const aliceId = ((await alice.meta.get('device-address')) as { userId: string }).userId;
    await bob.client.acceptRequest(aliceId);
    const again = await alice.call('sendText', { conversationId: chat.id, text: 'still there?' });
    const stateOfAgain = async () =>
      (await alice.call('getMessages', { conversationId: chat.id, limit: 10 })).messages.find(
        (m) => m.id === again.id,
      )?.state;
    await waitFor(async () => (await stateOfAgain()) === 'delivered', 'delivered');
    await bob.client.markRead({ conversationId: aliceOnBob.id });
    await waitFor(async () => (await stateOfAgain()) === 'read', 'read');

    // Bob answers twice: a notification names the sender, unread counts and the badge follow.
    await bob.client.sendText({ conversationId: aliceOnBob.id, text: 'hi alice' });
    await bob.client.sendText({ conversationId: aliceOnBob.id, text: 'second line' });
    await waitFor(async () => (await alice.core.unreadTotal()) === 2, 'two unread');
    await waitFor(() => alice.unread.at(-1) === 2, 'badge count');
    expect(alice.notices.map((n) => n.senderHandle)).toEqual([bob.handle, bob.handle]);
    expect(alice.notices.map((n) => n.text)).toEqual(['hi alice', 'second line']);
    expect(alice.events).toContainEqual({ type: 'messages', conversationId: chat.id });
    expect(alice.events).toContainEqual({ type: 'conversations' });

    const [summary] = await alice.call('listConversations');
    expect(summary).toMatchObject({ id: chat.id, unread: 2, lastMessage: { text: 'second line' } });
    const page = await alice.call('getMessages', { conversationId: chat.id, limit: 10 });
    expect(page.messages.map((m) => [m.text, m.outgoing, m.senderHandle])).toEqual([
      ['hello bob', true, alice.handle],
      ['still there?', true, alice.handle],
      ['hi alice', false, bob.handle],
      ['second line', false, bob.handle],
    ]);

    // Paging: the cursor is the oldest id of the page and stays inside the conversation.
    const newest = await alice.call('getMessages', { conversationId: chat.id, limit: 2 });
    expect(newest.messages.map((m) => m.text)).toEqual(['hi alice', 'second line']);
    expect(newest.before).toBe(newest.messages[0]?.id);
    const older = await alice.call('getMessages', {
      conversationId: chat.id,
      limit: 2,
      ...(newest.before === null ? {} : { before: newest.before }),
    });
    expect(older).toEqual({ messages: page.messages.slice(0, 2), before: null });

    // Reading the first incoming one leaves one unread and clears the notification.
    const firstIncoming = page.messages[2];
    if (firstIncoming === undefined) throw new Error('missing message');
    await alice.call('markRead', { conversationId: chat.id, upTo: firstIncoming.id });
    expect(await alice.core.unreadTotal()).toBe(1);
    expect(alice.cleared).toEqual([chat.id]);

    // While the person looks at the conversation there is no notification.
    alice.view(chat.id);
    await bob.client.sendText({ conversationId: aliceOnBob.id, text: 'while you look' });
    await waitFor(
      async () => (await textsOf(alice, chat.id)).includes('while you look'),
      'third reply',
    );
    expect(alice.notices).toHaveLength(2);

    // Safety numbers: both sides compute the same 60 digits; verified flag round-trips.
    const contact = await alice.call('getContact', { conversationId: chat.id });
    const onBobSide = await bob.client.getContact(aliceId);
    expect(contact.safetyNumber.groups.join('')).toMatch(/^\d{60}$/);
    expect(contact.safetyNumber.groups).toEqual(onBobSide.safetyNumber?.groups);
    expect(contact.safetyNumber.qrPayload).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(contact).toMatchObject({ handle: bob.handle, verified: false, identityChange: null });
    expect(
      (await alice.call('setVerified', { userId: contact.userId, verified: true })).verified,
    ).toBe(true);
    expect((await alice.call('listConversations'))[0]?.verified).toBe(true);
    expect(alice.reports).toEqual([]);
  });

  it('keeps messages that arrive while locked sealed in the inbox, then shows them in order after unlock', async () => {
    const alice = await onboard('alice');
    const bob = await peer('bob');
    const chat = await alice.call('startConversation', { handle: bob.handle });
    await alice.call('sendText', { conversationId: chat.id, text: 'ping' });
    const aliceOnBob = await waitFor(
      async () => (await bob.client.listConversations())[0],
      'bob sees the conversation',
    );
    await waitFor(
      async () =>
        (await alice.call('getMessages', { conversationId: chat.id, limit: 1 })).messages[0]
          ?.state === 'stored',
      'ping stored',
    );

    // Bob accepts (typing goes to accepted contacts only); whatever that sends arrives first.
    await bob.client.acceptRequest(aliceOnBob.id.replace(/^u:/, ''));
    await bob.client.idle();
    alice.lock();
    const events = alice.events.length;
    // A typing indicator while locked: transient, about now; not kept, not counted.
    expect(await bob.client.sendTyping({ conversationId: aliceOnBob.id, typing: true })).toBe(true);
    for (const text of ['one', 'two', 'three'])
      await bob.client.sendText({ conversationId: aliceOnBob.id, text });
    // Three texts, and the delivery receipt for "ping" that Bob's reply (which accepts Alice) released.
    await waitFor(async () => alice.locked.arrivals === 4, 'four frames announced');
    expect(await alice.lockedInbox.count()).toBe(4);
    expect(alice.core.relayStatus().state).toBe('online');
    // Nothing was decrypted or announced while locked.
    expect(alice.events.slice(events).filter((e) => e.type === 'messages')).toEqual([]);
    expect(alice.notices).toEqual([]);

    await alice.unlock();
    expect(await alice.lockedInbox.count()).toBe(0);
    expect(await textsOf(alice, chat.id)).toEqual(['ping', 'one', 'two', 'three']);
    expect(await alice.core.unreadTotal()).toBe(3);
    expect(alice.notices.map((n) => n.text)).toEqual(['one', 'two', 'three']);
  });

  it('survives the worker dying: the outbox is sent after the restart and waiting messages arrive', async () => {
    const alice = await onboard('alice');
    const bob = await peer('bob');
    const chat = await alice.call('startConversation', { handle: bob.handle });
    await alice.call('sendText', { conversationId: chat.id, text: 'before' });
    const aliceOnBob = await waitFor(
      async () => (await bob.client.listConversations())[0],
      'bob sees the conversation',
    );

    // Relay down: Alice writes; the message waits in the (sealed) outbox; the worker dies.
    await relay().stop();
    await waitFor(() => alice.core.relayStatus().state === 'retrying', 'retrying');
    const retrying = alice.core.relayStatus();
    expect(retrying).toMatchObject({ state: 'retrying', problem: 'unreachable' });
    expect(retrying.state === 'retrying' && retrying.nextRetryAt).toBeGreaterThan(Date.now() - 1);
    await alice.call('sendText', { conversationId: chat.id, text: 'written offline' });
    const revived = await alice.restart();
    await relay().restart();

    // Bob writes while Alice's new worker is locked.
    await bob.client.sendText({ conversationId: aliceOnBob.id, text: 'while you were away' });
    await revived.resume();
    await waitFor(() => revived.relayStatus().state === 'online', 'locked worker online');
    // Bob's client reconnects on its own schedule; his message reaches the locked inbox.
    await waitFor(async () => (await alice.lockedInbox.count()) > 0, 'queued while locked');
    expect(await alice.lockedInbox.count()).toBeGreaterThan(0);

    await alice.unlock();
    await waitFor(
      async () => (await textsOf(alice, chat.id)).length === 3,
      'all three messages after unlock',
    );
    expect(await textsOf(alice, chat.id)).toEqual([
      'before',
      'written offline',
      'while you were away',
    ]);
    await waitFor(
      async () => (await peerTexts(bob, aliceOnBob.id)).includes('written offline'),
      'the outbox reached bob',
    );
    await waitFor(
      async () =>
        (await alice.call('getMessages', { conversationId: chat.id, limit: 10 })).messages[1]
          ?.state === 'delivered',
      'delivered after the restart',
    );
  });

  it('answers with the codes pages have sentences for', async () => {
    const alice = await onboard('alice');
    // The relay offers options for a taken handle too (no existence oracle, docs/relay.md "Limits and abuse"):
    // the taken handle is refused when the passkey is verified.
    const other = profile();
    await other.lockedInbox.ensureKeys();
    const start = await other.core.beginRegistration({
      relayUrl: relay().url,
      handle: alice.handle,
    });
    const credential = await softAuthenticator().createCredential(start.publicKey as never);
    const taken = (
      await errorOf(() =>
        other.core.finishRegistration({
          relayUrl: relay().url,
          handle: alice.handle,
          credential: credential as unknown as RegistrationCredentialJson,
        }),
      )
    ).code;
    expect(taken).toBe('HANDLE_TAKEN');
    expect(
      (await errorOf(() => alice.call('startConversation', { handle: 'nobody.here' }))).code,
    ).toBe('HANDLE_NOT_FOUND');
    expect(
      (await errorOf(() => alice.call('startConversation', { handle: alice.handle }))).code,
    ).toBe('OWN_HANDLE');
    const missing = 'u:00000000-0000-4000-8000-000000000000';
    expect(
      (await errorOf(() => alice.call('getMessages', { conversationId: missing, limit: 5 }))).code,
    ).toBe('CONVERSATION_NOT_FOUND');
    expect(
      (await errorOf(() => alice.call('sendText', { conversationId: missing, text: 'x' }))).code,
    ).toBe('CONVERSATION_NOT_FOUND');
    // A malformed conversation id is a bad argument, not a blocked contact.
    expect(
      (await errorOf(() => alice.call('sendText', { conversationId: 'x:not-a-chat', text: 'x' })))
        .code,
    ).toBe('BAD_ARGUMENT');
    const bob = await peer('bob');
    const chat = await alice.call('startConversation', { handle: bob.handle });
    expect(
      (await errorOf(() => alice.call('markRead', { conversationId: chat.id, upTo: 'not-an-id' })))
        .code,
    ).toBe('BAD_ARGUMENT');
    const unreachable = (
      await errorOf(() =>
        alice.core.beginRegistration({ relayUrl: 'http://127.0.0.1:9', handle: 'someone' }),
      )
    ).code;
    expect(unreachable).toBe('RELAY_UNREACHABLE');
  });

  it('passes a refused handle lookup on as the relay said it, not as "your own handle"', async () => {
    // Plays a relay that refuses one lookup as a bad request: the page must not be told
    // that the handle is the person's own (only the client, which compares ids, knows that).
    const refusing: FetchLike = (url, init) =>
      url.endsWith('/v1/handles/refused.here')
        ? Promise.resolve(
            new Response(JSON.stringify({ error: { code: 'BAD_ARGUMENT', message: 'Refused' } }), {
              status: 400,
              headers: { 'content-type': 'application/json' },
            }),
          )
        : nodeFetch(url, init);
    const alice = await onboard('alice', { fetch: refusing });
    expect(
      (await errorOf(() => alice.call('startConversation', { handle: 'refused.here' }))).code,
    ).toBe('BAD_ARGUMENT');
    expect(
      await errorOf(() => alice.call('startConversation', { handle: 'nobody.here' })),
    ).toMatchObject({ code: 'HANDLE_NOT_FOUND', details: { handle: 'nobody.here' } });
  });
});

describe('toRelayStatus', () => {
  it('passes states through, says offline when the browser has no network, and stopped for 4002', () => {
    const retrying = {
      state: 'retrying',
      attempt: 2,
      nextRetryAt: 5,
      problem: 'unreachable',
    } as const;
    expect(toRelayStatus(retrying, true)).toEqual(retrying);
    expect(toRelayStatus(retrying, false)).toEqual({ state: 'offline' });
    expect(toRelayStatus({ state: 'online', since: 1 }, true)).toEqual({
      state: 'online',
      since: 1,
    });
    expect(toRelayStatus({ state: 'stopped', reason: 'replaced' }, true)).toEqual({
      state: 'stopped',
    });
  });
});
