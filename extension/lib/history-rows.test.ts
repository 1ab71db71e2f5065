import { describe, expect, it } from 'vitest';
import { CLUSTER_GAP_MS, type Row, toRows, unreadMark } from './history-rows.ts';
import type { MessageView } from './protocol.ts';

const T0 = new Date(2026, 2, 12, 10, 0).getTime();

function msg(id: string, at: number, from: string | null, extra: Partial<MessageView> = {}) {
  return {
    id,
    conversationId: 'c',
    outgoing: from === null,
    senderHandle: from ?? 'me',
    kind: 'text',
    text: id,
    sentAt: at,
    state: from === null ? 'delivered' : 'read',
    ...extra,
  } satisfies MessageView as MessageView;
}

const shape = (rows: Row[]) =>
  rows.map((r) =>
    r.kind === 'message'
      ? `${r.message.id}${r.showSender ? '+name' : ''}${r.showTime ? '+time' : ''}`
      : r.kind === 'unread'
        ? `unread(${r.count})`
        : 'day',
  );

describe('toRows', () => {
  it('clusters one sender within a few minutes: name on the first, time on the last', () => {
    const rows = toRows(
      [
        msg('a1', T0, 'alice'),
        msg('a2', T0 + 60_000, 'alice'),
        msg('a3', T0 + 60_000 + CLUSTER_GAP_MS + 1, 'alice'),
        msg('b1', T0 + 60_000 + CLUSTER_GAP_MS + 2, 'bob'),
        msg('m1', T0 + 60_000 + CLUSTER_GAP_MS + 3, null),
        msg('m2', T0 + 60_000 + CLUSTER_GAP_MS + 4, null),
      ],
      { group: true },
    );
    expect(shape(rows)).toEqual([
      'day',
      'a1+name',
      'a2+time',
      'a3+name+time',
      'b1+name+time',
      'm1',
      'm2+time',
    ]);
  });

  it('names nobody in a direct chat and breaks clusters at a new day and at notices', () => {
    const nextDay = new Date(2026, 2, 13, 0, 1).getTime();
    const rows = toRows(
      [
        msg('a1', nextDay - 120_000, 'alice'),
        msg('a2', nextDay, 'alice'),
        msg('n', nextDay + 1, 'alice', { kind: 'system', system: 'timer-changed' }),
        msg('a3', nextDay + 2, 'alice'),
      ],
      { group: false },
    );
    expect(shape(rows)).toEqual(['day', 'a1+time', 'day', 'a2+time', 'n+time', 'a3+time']);
  });

  it('keys rows by message id and day, so the same message keeps its key', () => {
    const a = toRows([msg('a1', T0, 'alice')], { group: false });
    const b = toRows([msg('a1', T0, 'alice'), msg('a2', T0 + 1, 'alice')], { group: false });
    expect(a.map((r) => r.key)).toEqual(b.slice(0, 2).map((r) => r.key));
    expect(new Set(b.map((r) => r.key)).size).toBe(b.length);
  });

  it('puts the unread divider before the first unread message and starts a cluster there', () => {
    const rows = toRows(
      [msg('a1', T0, 'alice'), msg('a2', T0 + 1, 'alice', { state: 'received' })],
      { group: true, unread: { firstId: 'a2', count: 1 } },
    );
    expect(shape(rows)).toEqual(['day', 'a1+name+time', 'unread(1)', 'a2+name+time']);
  });
});

describe('unreadMark', () => {
  it('finds the first unread incoming text and counts the unread from there', () => {
    const list = [
      msg('a1', T0, 'alice'),
      msg('n', T0 + 1, 'alice', { kind: 'system', state: 'received' }),
      msg('a2', T0 + 2, 'alice', { state: 'received' }),
      msg('m1', T0 + 3, null),
      msg('a3', T0 + 4, 'alice', { state: 'received' }),
    ];
    expect(unreadMark(list)).toEqual({ firstId: 'a2', count: 2 });
    expect(unreadMark(list.slice(0, 2))).toBeNull();
  });
});
