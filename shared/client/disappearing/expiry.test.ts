import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Bytes } from '../../bytes.ts';
import {
  type Conversation,
  readConversation,
  stageConversation,
} from '../conversations/conversations.ts';
import { type MessageRecord, messageKeyOf, stageNewMessage } from '../conversations/messages.ts';
import { Batch } from '../store/batch.ts';
import { Keys } from '../store/storage-keys.ts';
import { createMemoryStorage, type RecordStore } from '../store/store.ts';
import { expiryTime, stageExpiryIndex, startCountdown } from './countdown.ts';
import { nextExpiry, parseExpiryKey, stageExpired } from './expiry.ts';

const CONV = 'u:0b0b0b0b-0000-4000-8000-00000000000b';
const ME = '0a0a0a0a-0000-4000-8000-00000000000a';

function message(stamp: number, text: string, extra: Partial<MessageRecord> = {}): MessageRecord {
  return {
    v: 1,
    id: new Uint8Array(16).fill(stamp % 251) as Bytes,
    conv: CONV,
    stamp,
    author: ME,
    authorDevice: 1,
    outgoing: true,
    kind: 'text',
    text,
    sentAt: stamp,
    receivedAt: stamp,
    state: 'stored',
    ...extra,
  };
}

async function setup(messages: MessageRecord[]) {
  const { records } = createMemoryStorage();
  const batch = new Batch(records);
  let conversation: Conversation = {
    v: 1,
    id: CONV,
    kind: 'direct',
    unread: 0,
    createdAt: 0,
    updatedAt: 0,
  };
  stageConversation(batch, conversation);
  for (const m of messages) conversation = await stageNewMessage(batch, conversation, m);
  await batch.commit();
  return records;
}

describe('disappearing messages', () => {
  it('counts down from the start it is given, once', () => {
    expect(expiryTime(1_000, 30_000)).toBe(31_000);
    const m = message(1, 'x', { expiresIn: 30_000 });
    const started = startCountdown(m, 5_000);
    expect(started.expiresAt).toBe(35_000);
    expect(startCountdown(started, 9_000).expiresAt).toBe(35_000); // already running
    expect(startCountdown(message(2, 'no timer'), 5_000).expiresAt).toBeUndefined();
  });

  it('deletes what is due, keeps the rest, and moves the preview back', async () => {
    const keep = message(100, 'keep me');
    const first = startCountdown(message(200, 'vanish first', { expiresIn: 30_000 }), 1_000);
    const later = startCountdown(message(300, 'vanish later', { expiresIn: 300_000 }), 1_000);
    const records = await setup([keep, first, later]);
    expect(await nextExpiry(records)).toBe(31_000);

    let batch = new Batch(records);
    expect(await stageExpired(batch, 30_999)).toEqual([]);
    await batch.commit();

    batch = new Batch(records);
    const gone = await stageExpired(batch, 31_000);
    await batch.commit();
    expect(gone.map((g) => g.messageKey)).toEqual([messageKeyOf(first)]);
    expect(gone[0]).toMatchObject({ conversationId: CONV, author: ME, at: 31_000 });
    expect(await nextExpiry(records)).toBe(301_000);
    // The preview moved to the newest remaining message; a disappearing one keeps no text there.
    const preview = (await readConversation(records, CONV))?.last;
    expect(preview).toMatchObject({ key: messageKeyOf(later), text: '', exp: true });

    batch = new Batch(records);
    await stageExpired(batch, 1_000_000);
    await batch.commit();
    expect(await nextExpiry(records)).toBeNull();
    expect((await readConversation(records, CONV))?.last?.key).toBe(messageKeyOf(keep));
    const left = (await records.list('')).map(([k]) => k);
    expect(left.filter((k) => k.startsWith('msg/'))).toEqual([messageKeyOf(keep)]);
    expect(left.some((k) => k.startsWith('expiry/'))).toBe(false);
    expect(left.filter((k) => k.startsWith('msgidx/'))).toHaveLength(1);
  });

  it('names the relay files of our own expired messages, never of incoming ones', async () => {
    const pointer = (fill: number) => ({
      id: new Uint8Array(16).fill(fill),
      key: new Uint8Array(32).fill(7),
      digest: new Uint8Array(32).fill(8),
      size: 10,
      mime: 'image/png',
    });
    const timed = { expiresIn: 30_000, expiresAt: 31_000 };
    const ours = message(1, '', { ...timed, att: [pointer(1), pointer(2)] });
    const theirs = message(2, 'caption', { ...timed, outgoing: false, att: [pointer(3)] });
    const records = await setup([ours, theirs]);
    const ids = ['AQEBAQEBAQEBAQEBAQEBAQ', 'AgICAgICAgICAgICAgICAg'];
    // Named in the index key: a locked sweep (no value readable) has them too.
    const locked = await stageExpired(new Batch(records), 31_000, { fixPreviews: false });
    expect(locked.flatMap((e) => e.uploads ?? [])).toEqual(ids);
    const batch = new Batch(records);
    const gone = await stageExpired(batch, 31_000);
    await batch.commit();
    expect(gone.flatMap((e) => e.uploads ?? [])).toEqual([
      'AQEBAQEBAQEBAQEBAQEBAQ',
      'AgICAgICAgICAgICAgICAg',
    ]);
    expect(await records.get(messageKeyOf(ours))).toBeUndefined();
  });

  it('reads the upload ids of an index key, and refuses a malformed one', () => {
    const messageKey = `msg/${CONV}/0000000000000001/${'ab'.repeat(16)}`;
    const author = '0'.repeat(36);
    const id = 'AQEBAQEBAQEBAQEBAQEBAQ';
    expect(parseExpiryKey(Keys.expiry(5, author, messageKey, [id, id]))).toMatchObject({
      messageKey,
      uploads: [id, id],
    });
    expect(parseExpiryKey(Keys.expiry(5, author, messageKey))?.uploads).toBeUndefined();
    expect(parseExpiryKey(`${Keys.expiry(5, author, messageKey)}/not-an-id`)).toBeUndefined();
  });

  it('removes the preview when the last message goes', async () => {
    const only = startCountdown(message(5, 'alone', { expiresIn: 30_000 }), 0);
    const records = await setup([only]);
    const batch = new Batch(records);
    await stageExpired(batch, 30_000);
    await batch.commit();
    expect((await readConversation(records, CONV))?.last).toBeUndefined();
  });

  it('expires exactly the messages whose countdown ended (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ start: fc.nat(100_000), timer: fc.constantFrom(30_000, 300_000) }), {
          minLength: 1,
          maxLength: 20,
        }),
        fc.nat(500_000),
        async (specs, at) => {
          const all = specs.map((s, i) =>
            startCountdown(message(1_000 + i, `m${i}`, { expiresIn: s.timer }), s.start),
          );
          const records = await setup(all);
          const batch = new Batch(records);
          const gone = await stageExpired(batch, at);
          await batch.commit();
          const expected = all
            .filter((m) => (m.expiresAt ?? Infinity) <= at)
            .map((m) => messageKeyOf(m));
          expect(gone.map((g) => g.messageKey).sort()).toEqual(expected.sort());
          const next = await nextExpiry(records);
          const remaining = all.filter((m) => (m.expiresAt ?? 0) > at).map((m) => m.expiresAt ?? 0);
          expect(next).toBe(remaining.length === 0 ? null : Math.min(...remaining));
        },
      ),
      { numRuns: 50 },
    );
  });

  it('sweeps on keys alone (a locked vault: values unreadable)', async () => {
    const due = startCountdown(message(7, 'locked away', { expiresIn: 30_000 }), 0);
    const records = await setup([message(6, 'stays'), due]);
    const locked: RecordStore = {
      get: () => Promise.reject(new Error('locked')),
      list: async (prefix, options) =>
        (await records.list(prefix, options)).map(
          ([k]) => [k, new Uint8Array([0xde, 0xad])] as const,
        ),
      write: (ops) => records.write(ops),
    };
    const batch = new Batch(locked);
    const gone = await stageExpired(batch, 30_000, { fixPreviews: false });
    await batch.commit();
    expect(gone.map((g) => g.messageKey)).toEqual([messageKeyOf(due)]);
    const keys = (await records.list('')).map(([k]) => k);
    expect(keys.filter((k) => k.startsWith('msg/'))).toHaveLength(1);
    expect(keys.some((k) => k.startsWith('expiry/'))).toBe(false);
    expect(keys.filter((k) => k.startsWith('msgidx/'))).toHaveLength(1);
    expect(parseExpiryKey('expiry/nonsense')).toBeUndefined();
  });

  it('indexes only running countdowns', async () => {
    const { records } = createMemoryStorage();
    const batch = new Batch(records);
    stageExpiryIndex(batch, message(1, 'no countdown', { expiresIn: 30_000 }));
    await batch.commit();
    expect(await nextExpiry(records)).toBeNull();
  });
});
