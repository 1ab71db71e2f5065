import { describe, expect, it } from 'vitest';
import { mergeMessages } from './messages.ts';
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
