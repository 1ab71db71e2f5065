import { describe, expect, it } from 'vitest';
import { nextExpiry, unexpired } from './expiry-schedule.ts';
import type { MessageView } from './protocol.ts';

const m = (id: string, expiresAt?: number) =>
  ({
    id,
    conversationId: 'c',
    outgoing: false,
    senderHandle: 'alice',
    kind: 'text',
    text: id,
    sentAt: 1,
    state: 'read',
    ...(expiresAt === undefined ? {} : { expiresAt }),
  }) satisfies MessageView as MessageView;

describe('expiry schedule', () => {
  const list = [m('keep'), m('soon', 1_000), m('later', 5_000), m('gone', 500)];

  it('keeps messages without a countdown and those whose time has not come', () => {
    expect(unexpired(list, 1_000).map((x) => x.id)).toEqual(['keep', 'later']);
    expect(unexpired(list, 0).map((x) => x.id)).toEqual(['keep', 'soon', 'later', 'gone']);
  });

  it('answers the next moment something disappears, or null', () => {
    expect(nextExpiry(list, 0)).toBe(500);
    expect(nextExpiry(list, 500)).toBe(1_000);
    expect(nextExpiry(list, 1_000)).toBe(5_000);
    expect(nextExpiry(list, 5_000)).toBeNull();
    expect(nextExpiry([m('keep')], 0)).toBeNull();
  });
});
