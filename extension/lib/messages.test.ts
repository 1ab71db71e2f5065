import { describe, expect, it } from 'vitest';
import { attachmentIdsOf, mergeMessages, reconcileLatest, withoutIds } from './messages.ts';
import type { MessageView } from './protocol.ts';

const m = (id: string, sentAt: number, state: MessageView['state'] = 'stored'): MessageView => ({
  id,
  conversationId: 'c1',
  outgoing: true,
  senderHandle: 'me',
  kind: 'text',
  text: id,
  sentAt,
  state,
});

describe('mergeMessages', () => {
  it('unions pages by id, newest copy wins, ordered by time then id', () => {
    const current = [m('b', 2), m('c', 3, 'sending')];
    const older = [m('a', 1)];
    const refreshed = [m('c', 3, 'read'), m('d', 3)];
    const merged = mergeMessages(mergeMessages(current, older), refreshed);
    expect(merged.map((x) => `${x.id}:${x.state}`)).toEqual([
      'a:stored',
      'b:stored',
      'c:read',
      'd:stored',
    ]);
  });
});

describe('reconcileLatest', () => {
  it('drops loaded messages the newest page no longer has in its range, keeps older ones', () => {
    const loaded = [m('1', 1), m('2', 2), m('3', 3), m('4', 4)];
    // The newest page (3 messages) now reaches back to 2: 3 disappeared, 5 is new; 1 is outside.
    const next = reconcileLatest(loaded, {
      messages: [m('2', 2), m('4', 4), m('5', 5)],
      before: '2',
    });
    expect(next.map((x) => x.id)).toEqual(['1', '2', '4', '5']);
  });

  it('replaces everything when the page reaches the start of history', () => {
    const loaded = [m('1', 1), m('2', 2)];
    expect(
      reconcileLatest(loaded, { messages: [m('2', 2)], before: null }).map((x) => x.id),
    ).toEqual(['2']);
    expect(reconcileLatest(loaded, { messages: [], before: null })).toEqual([]);
  });

  it('withoutIds drops exactly the disappeared messages', () => {
    expect(withoutIds([m('1', 1), m('2', 2), m('3', 3)], ['2', 'x']).map((x) => x.id)).toEqual([
      '1',
      '3',
    ]);
  });

  it('attachmentIdsOf names the files of exactly the disappeared messages', () => {
    const file = (id: string) => ({
      id,
      key: 'k',
      digest: 'd',
      size: 1,
      mime: 'image/png',
      voice: false,
    });
    const list = [
      { ...m('1', 1), attachments: [file('a1'), file('a2')] },
      { ...m('2', 2), attachments: [file('b1')] },
      m('3', 3),
    ];
    expect(attachmentIdsOf(list, ['1', '3', 'x'])).toEqual(['a1', 'a2']);
  });
});
