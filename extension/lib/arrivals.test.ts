import { describe, expect, it } from 'vitest';
import { ANNOUNCE_MAX_CHARS, announcement, arrivalsSince, newestId } from './arrivals.ts';
import type { AttachmentView, MessageView } from './protocol.ts';

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

  it('says what came when a file arrives, with its caption if it has one', () => {
    const att = (mime: string, extra: Partial<AttachmentView> = {}): AttachmentView => ({
      id: 'a'.repeat(22),
      key: 'k'.repeat(43),
      digest: 'd'.repeat(43),
      size: 10,
      mime,
      voice: false,
      ...extra,
    });
    const withFile = (a: AttachmentView, text = '') => ({ ...m('m-03'), text, attachments: [a] });
    expect(announcement(withFile(att('image/jpeg', { name: 'IMG_1.jpg' })))).toBe(
      'alice sent a photo',
    );
    expect(announcement(withFile(att('application/pdf', { name: 'name.pdf' })))).toBe(
      'alice sent a file, name.pdf',
    );
    expect(announcement(withFile(att('audio/webm', { voice: true })))).toBe(
      'alice sent a voice note',
    );
    expect(announcement(withFile(att('image/png'), 'look'))).toBe('alice sent a photo: look');
  });
});
