import { describe, expect, it } from 'vitest';
import type { ParleyEvent } from '../../lib/protocol.ts';
import { ChangeFeed } from './change-feed.ts';

function setup() {
  const emitted: ParleyEvent[] = [];
  const scheduled: Array<() => void> = [];
  let changed = 0;
  const feed = new ChangeFeed({
    emit: (e) => emitted.push(e),
    schedule: (callback) => scheduled.push(callback),
    onConversationsChanged: () => changed++,
  });
  return { feed, emitted, scheduled, changed: () => changed };
}

describe('ChangeFeed', () => {
  it('turns a burst into one event per conversation, one list event and one per contact and group', () => {
    const { feed, emitted, scheduled, changed } = setup();
    for (let i = 0; i < 50; i++) feed.message(i % 2 === 0 ? 'u:a' : 'u:b');
    feed.conversation();
    feed.contact('bob');
    feed.contact('bob');
    feed.group('g:1');
    feed.group('g:1');
    expect(emitted).toEqual([]);
    expect(scheduled).toHaveLength(1);
    scheduled[0]?.();
    expect(emitted).toEqual([
      { type: 'conversations' },
      { type: 'messages', conversationId: 'u:a' },
      { type: 'messages', conversationId: 'u:b' },
      { type: 'contact', userId: 'bob' },
      { type: 'group', conversationId: 'g:1' },
    ]);
    expect(changed()).toBe(1);
  });

  it('schedules again after a flush, and a flush with nothing pending says nothing', () => {
    const { feed, emitted, scheduled, changed } = setup();
    feed.flush();
    expect(emitted).toEqual([]);
    expect(changed()).toBe(0);
    feed.message('u:a');
    scheduled[0]?.();
    feed.message('u:a');
    expect(scheduled).toHaveLength(2);
    feed.flush();
    expect(emitted.filter((e) => e.type === 'messages')).toHaveLength(2);
  });
});
