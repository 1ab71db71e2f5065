import { describe, expect, it } from 'vitest';
import { ANNOUNCE_MAX_CHARS, announcement, arrivalsSince, newestId } from './arrivals.ts';
import type { MessageView } from './protocol.ts';

const m = (id: string, outgoing = false, kind: 'text' | 'system' = 'text') =>
  ({
    id,
    conversationId: 'c',
    outgoing,
    senderHandle: outgoing ? 'me' : 'alice',
    kind,
    text: `text ${id}`,
    sentAt: 1,
    state: 'received',
  }) satisfies MessageView as MessageView;

describe('arrivals', () => {
  it('announces only incoming text newer than what was known', () => {
    const list = [m('m-01'), m('m-02'), m('m-03', true), m('m-04', false, 'system'), m('m-05')];
    expect(arrivalsSince(list, 'm-02').map((x) => x.id)).toEqual(['m-05']);
  });

  it('never announces older pages loaded by scrolling up', () => {
    const known = newestId([m('m-10'), m('m-11')]);
    expect(arrivalsSince([m('m-01'), m('m-02'), m('m-10'), m('m-11')], known)).toEqual([]);
  });

  it('treats an empty history as older than any message', () => {
    expect(newestId([])).toBe('');
    expect(arrivalsSince([m('m-01')], '').map((x) => x.id)).toEqual(['m-01']);
  });

  it('says who wrote what', () => {
    expect(announcement(m('m-01'))).toBe('alice: text m-01');
    const long = { ...m('m-02'), text: 'x'.repeat(ANNOUNCE_MAX_CHARS + 50) };
    expect(announcement(long)).toBe(`alice: ${'x'.repeat(ANNOUNCE_MAX_CHARS)}…`);
  });
});
