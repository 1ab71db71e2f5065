import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ContactView, ConversationView, MessageView } from '../../../shared/client/client.ts';
import type { GroupView } from '../../../shared/client/groups/group-api.ts';
import { errorOf } from '../../../shared/testing/errors.ts';
import { parseRequest } from './requests/table.ts';
import {
  messageIdOf,
  messageKeyFromId,
  sortSummaries,
  toContactView,
  toGroupView,
  toMessageView,
  toSummary,
} from './views.ts';

const conv = 'u:0b6c1e0e-6f0a-4b8e-9d55-2f7f1d3c9a10';
const key = (stamp: number, hex: string) => `msg/${conv}/${String(stamp).padStart(16, '0')}/${hex}`;
const hex32 = 'a'.repeat(32);

function coreMessage(over: Partial<MessageView> = {}): MessageView {
  return {
    id: hex32,
    key: key(42, hex32),
    conversationId: conv,
    outgoing: false,
    author: 'bob-id',
    authorDevice: 1,
    kind: 'text',
    text: 'hi',
    sentAt: 1_000,
    receivedAt: 2_000,
    state: 'received',
    ...over,
  };
}

describe('message ids', () => {
  it('round-trip between record keys and page ids, which the request schema accepts', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 52 }),
        fc.stringMatching(/^[0-9a-f]{32}$/),
        (stamp, id) => {
          const k = key(stamp, id);
          const pageId = messageIdOf(k, conv);
          expect(pageId).not.toContain('/');
          expect(messageKeyFromId(pageId, conv)).toBe(k);
          expect(parseRequest('markRead', { conversationId: conv, upTo: pageId }).upTo).toBe(
            pageId,
          );
        },
      ),
    );
  });

  it('refuse ids that are not message ids, and keys of another conversation', () => {
    for (const bad of ['', 'x', `${'1'.repeat(16)}.${'g'.repeat(32)}`, `1.${hex32}`, '../x'])
      expect(errorOf(() => messageKeyFromId(bad, conv)).code).toBe('BAD_ARGUMENT');
    expect(errorOf(() => messageIdOf(`msg/u:other/0000000000000001/${hex32}`, conv)).code).toBe(
      'STATE_CORRUPT',
    );
  });

  it('keep page ids in key order (local arrival order)', () => {
    const ids = [3, 10, 200].map((s) => messageIdOf(key(s, hex32), conv));
    expect([...ids].sort()).toEqual(ids);
  });
});

describe('views', () => {
  const names = {
    selfId: 'alice-id',
    own: 'alice',
    handleOf: (id: string) => (id === 'bob-id' ? 'bob' : `user ${id.slice(0, 8)}`),
  };

  it('names the sender: our handle for outgoing, the author’s handle for incoming', () => {
    expect(toMessageView(coreMessage(), names)).toEqual({
      id: `${'0'.repeat(14)}42.${hex32}`,
      conversationId: conv,
      outgoing: false,
      senderHandle: 'bob',
      kind: 'text',
      text: 'hi',
      sentAt: 1_000,
      state: 'received',
    });
    expect(
      toMessageView(coreMessage({ outgoing: true, state: 'stored' }), names).senderHandle,
    ).toBe('alice');
    // System notices sit where they happened here, not at a sender's clock.
    expect(toMessageView(coreMessage({ kind: 'system' }), names).sentAt).toBe(2_000);
    expect(toMessageView(coreMessage({ author: 'carol-id-1234' }), names).senderHandle).toBe(
      'user carol-id',
    );
  });

  it('carries the notice kind, the disappearing timer and group receipt counts', () => {
    const view = toMessageView(
      coreMessage({
        outgoing: true,
        state: 'delivered',
        expiresIn: 30_000,
        expiresAt: 31_000,
        receipts: { delivered: 2, read: 1, total: 2 },
      }),
      names,
    );
    expect(view).toMatchObject({
      expiresIn: 30_000,
      expiresAt: 31_000,
      receipts: { delivered: 2, read: 1, total: 2 },
    });
    expect(
      toMessageView(coreMessage({ kind: 'system', system: 'timer-changed' }), names).system,
    ).toBe('timer-changed');
  });

  it('summarises conversations and sorts the most recent first', () => {
    const base: ConversationView = {
      id: conv,
      kind: 'direct',
      peer: 'bob-id',
      title: 'bob',
      unread: 2,
      lastMessage: {
        key: key(1, hex32),
        text: 'x',
        at: 5,
        outgoing: false,
        state: 'received',
        kind: 'text',
      },
      updatedAt: 5,
      verified: false,
      identityChanged: true,
      isRequest: false,
    };
    const summary = toSummary(base);
    expect(summary).toEqual({
      id: conv,
      kind: 'direct',
      title: 'bob',
      unread: 2,
      lastMessage: { text: 'x', at: 5, outgoing: false, state: 'received' },
      updatedAt: 5,
      verified: false,
      identityChanged: true,
      peerId: 'bob-id',
    });
    expect(toSummary({ ...base, isRequest: true }).isRequest).toBe(true);
    expect(
      toSummary(
        { ...base, timer: 30_000, blocked: true },
        { typing: ['bob'], presence: { online: true, lastSeen: 4 } },
      ),
    ).toMatchObject({
      timerMs: 30_000,
      blocked: true,
      typing: ['bob'],
      presence: { online: true, lastSeen: 4 },
    });
    const { peer: _peer, ...groupBase } = base;
    expect(
      toSummary(
        {
          ...groupBase,
          id: 'g:00',
          kind: 'group',
          title: 'Trip',
          timer: 0,
          group: { myRole: null, members: 3 },
        },
        { lastSender: 'carol', typing: [] },
      ),
    ).toMatchObject({
      kind: 'group',
      group: { myRole: null, memberCount: 3 },
      lastMessage: { text: 'x', senderHandle: 'carol' },
    });
    const newer = { ...summary, id: 'u:b', updatedAt: 9 };
    expect(sortSummaries([summary, newer]).map((s) => s.id)).toEqual(['u:b', conv]);
  });

  it('gives the safety number as groups and a base64url QR payload, and refuses without keys', () => {
    const contact: ContactView = {
      userId: 'bob-id',
      handle: 'bob',
      conversationId: conv,
      status: 'accepted',
      verified: true,
      identityChange: null,
      safetyNumber: {
        digits: '1'.repeat(60),
        groups: Array.from({ length: 12 }, () => '11111'),
        scannable: new Uint8Array([0, 255, 62, 63]),
      },
    };
    expect(toContactView(contact)).toEqual({
      userId: 'bob-id',
      handle: 'bob',
      conversationId: conv,
      safetyNumber: { groups: contact.safetyNumber?.groups, qrPayload: 'AP8-Pw' },
      verified: true,
      identityChange: null,
      status: 'accepted',
      presence: null,
    });
    const presence = { online: false, lastSeen: 9 };
    expect(toContactView(contact, presence).presence).toEqual(presence);
    // Presence belongs to accepted contacts only.
    expect(toContactView({ ...contact, status: 'request' }, presence).presence).toBeNull();
    expect(errorOf(() => toContactView({ ...contact, safetyNumber: null })).code).toBe('NOT_FOUND');
  });

  it('shows a group with handles, owner first, and our own entry named as us', () => {
    const group: GroupView = {
      conversationId: 'g:00',
      id: '00',
      name: 'Trip',
      version: 3,
      timer: 30_000,
      members: [
        { userId: 'zed-id', handle: 'zed', role: 'member', canRemove: true, status: 'invited' },
        { userId: 'bob-id', handle: null, role: 'admin', canRemove: false, status: 'joined' },
        { userId: 'alice-id', handle: 'alice', role: 'owner', canRemove: false, status: 'joined' },
        { userId: 'amy-id', handle: 'amy', role: 'member', canRemove: true, status: 'joined' },
      ],
      myRole: 'owner',
      active: true,
      accepted: true,
      addedBy: 'alice-id',
      can: { rename: true, setTimer: true, addMembers: true, changeRoles: true, leave: false },
    };
    const view = toGroupView(group, names);
    expect(view.members.map((m) => [m.handle, m.role, m.isSelf, m.invited])).toEqual([
      ['alice', 'owner', true, false],
      ['bob', 'admin', false, false],
      ['amy', 'member', false, false],
      ['zed', 'member', false, true],
    ]);
    expect(view).toMatchObject({
      name: 'Trip',
      timerMs: 30_000,
      addedBy: 'alice',
      myRole: 'owner',
    });
  });
});
