/**
 * Issue 6 through the extension's request table (requests/), in Node against the
 * REAL relay process, with the worker's storage behaviour (records sealed
 * while locked, except the expiry keys and deletes: locked-policy.ts) and
 * plain shared/client peers on the other side: groups (names, previews,
 * notifications, typing, roles, removal), message requests (accept, block
 * with the relay enforcing it, delete), disappearing messages (alarm
 * scheduling, the sweep while locked, a worker that restarts after the
 * deadline) and settings reaching the client core.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../../shared/client/testing/harness.ts';
import { errorOf } from '../../../shared/testing/errors.ts';
import type { ParleyEvent } from '../../lib/protocol.ts';
import { coreTestingOnRelay } from '../../testing/core-profile.ts';

const { onboard, peer, textsOf, peerTexts } = coreTestingOnRelay();

/** The user id the profile's device registered under (kept in plain meta). */
function userIdOf(p: { meta: { data: Map<string, unknown> } }): string {
  const address = p.meta.data.get('device-address') as { userId?: string } | undefined;
  if (address?.userId === undefined) throw new Error('not registered');
  return address.userId;
}

function eventsOf<T extends ParleyEvent['type']>(events: readonly ParleyEvent[], type: T) {
  return events.filter((e): e is Extract<ParleyEvent, { type: T }> => e.type === type);
}

describe('groups through the worker', () => {
  it('creates a group by handle, names senders, previews, notifies, shows typing, changes roles and removes', async () => {
    const alice = await onboard('alice');
    const bob = await peer('bob');
    const carol = await peer('carol');

    expect(
      await errorOf(() =>
        alice.call('createGroup', { name: 'Trip', members: [bob.handle, 'nobody.here'] }),
      ),
    ).toMatchObject({ code: 'HANDLE_NOT_FOUND', details: { handle: 'nobody.here' } });
    expect(
      (await errorOf(() => alice.call('createGroup', { name: 'Trip', members: [alice.handle] })))
        .code,
    ).toBe('OWN_HANDLE');

    const created = await alice.call('createGroup', {
      name: 'Trip',
      members: [bob.handle, carol.handle],
    });
    expect(created).toMatchObject({
      kind: 'group',
      title: 'Trip',
      group: { myRole: 'owner', memberCount: 1 },
    });
    const id = created.id;
    const group = await alice.call('getGroup', { conversationId: id });
    expect(group.members.map((m) => [m.handle, m.role, m.isSelf])).toEqual([
      [alice.handle, 'owner', true],
      ...[bob.handle, carol.handle].sort().map((h) => [h, 'member', false]),
    ]);
    expect(group.can).toEqual({
      rename: true,
      setTimer: true,
      addMembers: true,
      changeRoles: true,
      leave: false,
    });

    // Bob and Carol accept (Alice is not their contact: the group is a request).
    for (const u of [bob, carol]) {
      await waitFor(
        () =>
          u.client.getGroup(id).then(
            () => true,
            () => false,
          ),
        'joined',
      );
      expect((await u.client.getConversation(id)).isRequest).toBe(true);
      await u.client.acceptGroup(id);
    }

    await bob.client.sendText({ conversationId: id, text: 'hello from bob' });
    await waitFor(async () => (await textsOf(alice, id)).includes('hello from bob'), 'bob’s text');
    const page = await alice.call('getMessages', { conversationId: id, limit: 20 });
    const fromBob = page.messages.find((m) => m.text === 'hello from bob');
    expect(fromBob).toMatchObject({ outgoing: false, senderHandle: bob.handle });
    const summary = (await alice.call('listConversations')).find((c) => c.id === id);
    expect(summary?.lastMessage).toMatchObject({
      text: 'hello from bob',
      senderHandle: bob.handle,
    });
    expect(alice.notices.at(-1)).toMatchObject({
      conversationId: id,
      senderHandle: bob.handle,
      groupName: 'Trip',
      text: 'hello from bob',
    });

    // Alice's message: receipts counted per member.
    const sent = await alice.call('sendText', { conversationId: id, text: 'hi both' });
    await waitFor(async () => (await peerTexts(carol, id)).includes('hi both'), 'carol gets it');
    await carol.client.markRead({ conversationId: id });
    await waitFor(async () => {
      const m = (await alice.call('getMessages', { conversationId: id, limit: 20 })).messages.find(
        (x) => x.id === sent.id,
      );
      return m?.receipts?.read === 1 && m.receipts.total === 2 ? m : undefined;
    }, 'one of two read');

    // Typing: a transient event with handles, and in the list summary.
    await carol.client.sendTyping({ conversationId: id, typing: true });
    await waitFor(
      () =>
        eventsOf(alice.events, 'typing').some(
          (e) => e.conversationId === id && e.handles.includes(carol.handle),
        ),
      'typing event',
    );
    expect((await alice.call('listConversations')).find((c) => c.id === id)?.typing).toEqual([
      carol.handle,
    ]);
    // A message from the typer ends their typing.
    await carol.client.sendText({ conversationId: id, text: 'done typing' });
    await waitFor(
      () => (eventsOf(alice.events, 'typing').at(-1)?.handles.length === 0 ? true : undefined),
      'typing cleared',
    );

    // Roles and names: Bob becomes an admin; the group is renamed; Carol is removed.
    const bobId = group.members.find((m) => m.handle === bob.handle)?.userId ?? '';
    const carolId = group.members.find((m) => m.handle === carol.handle)?.userId ?? '';
    expect(
      (
        await alice.call('setGroupRole', { conversationId: id, userId: bobId, role: 'admin' })
      ).members.find((m) => m.userId === bobId)?.role,
    ).toBe('admin');
    expect((await alice.call('renameGroup', { conversationId: id, name: 'Trip 2' })).name).toBe(
      'Trip 2',
    );
    const after = await alice.call('removeGroupMember', { conversationId: id, userId: carolId });
    expect(after.members.map((m) => m.handle)).not.toContain(carol.handle);
    await waitFor(
      async () => (await carol.client.getGroup(id)).myRole === null,
      'carol learns she was removed',
    );
    expect(eventsOf(alice.events, 'group').some((e) => e.conversationId === id)).toBe(true);
    await alice.call('sendText', { conversationId: id, text: 'after carol left' });
    await waitFor(async () => (await peerTexts(bob, id)).includes('after carol left'), 'bob');
    expect(await peerTexts(carol, id)).not.toContain('after carol left');

    // The owner cannot leave without handing ownership over (a group without an owner is invalid).
    expect((await errorOf(() => alice.call('leaveGroup', { conversationId: id }))).code).toBe(
      'GROUP_STATE_INVALID',
    );
    expect(alice.reports).toEqual([]);
  });
});

describe('message requests through the worker', () => {
  it('accepts one request, blocks another (the relay drops what they send) and deletes a conversation', async () => {
    const alice = await onboard('alice');
    const dave = await peer('dave');
    const eve = await peer('eve');
    const daveChat = (await dave.client.startConversation(alice.handle)).id;
    await dave.client.sendText({ conversationId: daveChat, text: 'hi, it’s dave' });
    const fromDave = await waitFor(
      async () => (await alice.call('listConversations')).find((c) => c.title === dave.handle),
      'dave’s request',
    );
    expect(fromDave).toMatchObject({ isRequest: true, peerId: dave.userId });
    expect(fromDave.presence).toBeUndefined(); // no presence for requests
    const accepted = await alice.call('acceptRequest', { conversationId: fromDave.id });
    expect(accepted.isRequest).toBeUndefined();
    // Accepting lets receipts flow: Dave sees his next message delivered.
    const next = await dave.client.sendText({ conversationId: daveChat, text: 'thanks' });
    await waitFor(async () => {
      const page = await dave.client.getMessages({ conversationId: daveChat, limit: 10 });
      return page.messages.find((m) => m.id === next.id)?.state === 'delivered';
    }, 'delivered after accepting');

    const eveChat = (await eve.client.startConversation(alice.handle)).id;
    await eve.client.sendText({ conversationId: eveChat, text: 'buy my stuff' });
    const fromEve = await waitFor(
      async () => (await alice.call('listConversations')).find((c) => c.title === eve.handle),
      'eve’s request',
    );
    await alice.call('blockContact', { userId: fromEve.peerId ?? '' });
    expect((await alice.call('listConversations')).find((c) => c.id === fromEve.id)?.blocked).toBe(
      true,
    );
    expect(
      (await errorOf(() => alice.call('sendText', { conversationId: fromEve.id, text: 'no' })))
        .code,
    ).toBe('CONTACT_BLOCKED');
    // The relay refuses her sends to Alice now; a message Dave sends after hers
    // still arrives, so hers had its chance.
    await eve.client.sendText({ conversationId: eveChat, text: 'are you there?' });
    await dave.client.sendText({ conversationId: daveChat, text: 'after eve' });
    await waitFor(async () => (await textsOf(alice, fromDave.id)).includes('after eve'), 'dave');
    expect(await textsOf(alice, fromEve.id)).not.toContain('are you there?');

    await alice.call('unblockContact', { userId: fromEve.peerId ?? '' });
    expect(
      (await alice.call('listConversations')).find((c) => c.id === fromEve.id)?.blocked,
    ).toBeUndefined();
    await alice.call('deleteConversation', { conversationId: fromEve.id });
    expect((await alice.call('listConversations')).map((c) => c.id)).not.toContain(fromEve.id);
    expect(alice.reports).toEqual([]);
  });
});

describe('disappearing messages through the worker', () => {
  it('sets the timer, keeps the expiry alarm at the next deadline, and sweeps while locked', async () => {
    const alice = await onboard('alice');
    const bob = await peer('bob', { now: () => alice.now() });
    const chat = await alice.call('startConversation', { handle: bob.handle });
    expect(
      (await alice.call('setTimer', { conversationId: chat.id, timerMs: 30_000 })).timerMs,
    ).toBe(30_000);
    const notice = (await alice.call('getMessages', { conversationId: chat.id, limit: 5 }))
      .messages;
    expect(notice.map((m) => m.system)).toContain('timer-changed');

    const sent = await alice.call('sendText', { conversationId: chat.id, text: 'self-destructs' });
    expect(sent).toMatchObject({ expiresIn: 30_000 });
    expect(sent.expiresAt).toBeDefined();
    await waitFor(() => alice.expiryAlarms.at(-1) === sent.expiresAt, 'alarm at the deadline');
    await waitFor(
      async () => (await peerTexts(bob, `u:${userIdOf(alice)}`)).includes('self-destructs'),
      'bob has it',
    );

    // Locked, past the deadline: the alarm's sweep works on keys alone.
    alice.lock();
    alice.advance(31_000);
    expect(await alice.core.expireDue()).toBe(1);
    const expired = eventsOf(alice.events, 'expired').at(-1);
    expect(expired).toEqual({ type: 'expired', conversationId: chat.id, ids: [sent.id] });
    await waitFor(() => alice.expiryAlarms.at(-1) === null, 'alarm cleared');
    await alice.unlock();
    expect(await textsOf(alice, chat.id)).not.toContain('self-destructs');
    const listed = (await alice.call('listConversations')).find((c) => c.id === chat.id);
    expect(listed?.lastMessage?.text ?? '').not.toContain('self-destructs');
    expect(alice.reports).toEqual([]);
  });

  it('a worker that starts after the deadline (locked) deletes what ran out', async () => {
    const alice = await onboard('alice');
    const bob = await peer('bob');
    const chat = await alice.call('startConversation', { handle: bob.handle });
    await alice.call('setTimer', { conversationId: chat.id, timerMs: 30_000 });
    const sent = await alice.call('sendText', { conversationId: chat.id, text: 'gone by morning' });
    await waitFor(async () => {
      const m = (await alice.call('getMessages', { conversationId: chat.id, limit: 5 })).messages;
      return m.find((x) => x.id === sent.id)?.state === 'stored';
    }, 'stored');

    const revived = await alice.restart(); // a fresh worker is locked
    alice.advance(31_000);
    await revived.resume();
    await waitFor(
      async () => ((await alice.storage.records.list('expiry/')).length === 0 ? true : undefined),
      'swept at start, while locked',
    );
    expect(alice.storage.locked).toBe(true);
    await alice.unlock();
    expect(await textsOf(alice, chat.id)).not.toContain('gone by morning');
  });
});

describe('settings through the worker', () => {
  it('turning typing indicators off stops them from being sent', async () => {
    const alice = await onboard('alice');
    const bob = await peer('bob');
    const chat = await alice.call('startConversation', { handle: bob.handle });
    await alice.call('sendText', { conversationId: chat.id, text: 'hello' });
    const onBob = await waitFor(async () => (await bob.client.listConversations())[0], 'bob');
    await bob.client.acceptRequest(onBob.peer ?? '');
    const typing: boolean[] = [];
    bob.client.on('typing', (e) => typing.push(e.typing));

    alice.setSettings({ typingIndicators: false });
    await alice.unlock(); // the settings reach the client core by the end of an unlock at the latest
    await alice.call('sendTyping', { conversationId: chat.id, typing: true });
    // A marker message after the typing call: once Bob has it, any typing would have arrived.
    await alice.call('sendText', { conversationId: chat.id, text: 'marker' });
    await waitFor(async () => (await peerTexts(bob, onBob.id)).includes('marker'), 'marker');
    expect(typing).toEqual([]);

    alice.setSettings({ typingIndicators: true });
    await alice.unlock();
    await waitFor(async () => {
      await alice.call('sendTyping', { conversationId: chat.id, typing: true });
      return typing.includes(true);
    }, 'typing after turning it back on');
  });
});
