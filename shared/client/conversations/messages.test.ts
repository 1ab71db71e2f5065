import { describe, expect, it } from 'vitest';
import { Batch } from '../store/batch.ts';
import { Keys } from '../store/storage-keys.ts';
import { createMemoryStorage } from '../store/store.ts';
import {
  type Conversation,
  ensureDirectConversation,
  MessageState,
  readConversation,
} from './conversations.ts';
import {
  advanceMessage,
  canAdvance,
  listMessagePage,
  type MessageRecord,
  markReadUpTo,
  messageKeyOf,
  SystemEvent,
  stageMessageDeletion,
  stageNewMessage,
  systemMessageRecord,
} from './messages.ts';

const PEER = '0b5f3a2e-9c1d-4e8f-a7b6-5d4c3b2a1f00';
const ME = '0a0a0a0a-0000-4000-8000-00000000000a';

function record(conv: string, stamp: number, outgoing: boolean): MessageRecord {
  return {
    v: 1,
    id: new Uint8Array(16).fill(stamp % 251) as MessageRecord['id'],
    conv,
    stamp,
    author: outgoing ? ME : PEER,
    authorDevice: 1,
    outgoing,
    kind: 'text',
    text: `m${stamp}`,
    sentAt: stamp,
    receivedAt: stamp,
    state: outgoing ? MessageState.SENDING : MessageState.RECEIVED,
  };
}

async function seed(count: number) {
  const { records } = createMemoryStorage();
  let batch = new Batch(records);
  let conversation: Conversation = await ensureDirectConversation(batch, PEER, 1);
  await batch.commit();
  for (let i = 1; i <= count; i++) {
    batch = new Batch(records);
    conversation = await stageNewMessage(
      batch,
      conversation,
      record(conversation.id, 1000 + i, i % 3 === 0),
    );
    await batch.commit();
  }
  return { records, id: conversation.id };
}

describe('message records', () => {
  it('deletes a message with its receipt index, its resend copy and its expiry entry, nothing else', async () => {
    const { records, id } = await seed(2);
    const [first, second] = (await listMessagePage(records, id, { limit: 10 })).messages;
    if (first === undefined || second === undefined) throw new Error('seeded two messages');
    const key = messageKeyOf(first);
    const expiryKey = Keys.expiry(5000, first.author, key);
    const named = [Keys.messageIndex(first.author, first.id), Keys.sent(first.id), expiryKey];
    let batch = new Batch(records);
    for (const k of named) batch.set(k, new Uint8Array([1]));
    await batch.commit();
    batch = new Batch(records);
    stageMessageDeletion(batch, { key, author: first.author, id: first.id, expiryKey });
    await batch.commit();
    for (const k of [key, ...named]) expect(await records.get(k)).toBeUndefined();
    expect(await records.get(messageKeyOf(second))).toBeDefined();
  });

  it('pages newest first and returns each page oldest first with a cursor', async () => {
    const { records, id } = await seed(25);
    const first = await listMessagePage(records, id, { limit: 10 });
    expect(first.messages.map((m) => m.stamp)).toEqual(
      Array.from({ length: 10 }, (_, i) => 1016 + i),
    );
    const second = await listMessagePage(records, id, { limit: 10, before: first.before ?? '' });
    expect(second.messages.map((m) => m.stamp)).toEqual(
      Array.from({ length: 10 }, (_, i) => 1006 + i),
    );
    const last = await listMessagePage(records, id, { limit: 10, before: second.before ?? '' });
    expect(last.messages.map((m) => m.stamp)).toEqual([1001, 1002, 1003, 1004, 1005]);
    expect(last.before).toBeNull();
  });

  it('counts unread incoming messages and marks them read up to a point', async () => {
    const { records, id } = await seed(9); // 1..9, every third outgoing: 6 incoming
    expect((await readConversation(records, id))?.unread).toBe(6);
    const page = await listMessagePage(records, id, { limit: 100 });
    const upTo = page.messages.find((m) => m.stamp === 1005);
    let batch = new Batch(records);
    const conversation = (await readConversation(records, id)) as Conversation;
    const read = await markReadUpTo(
      batch,
      conversation,
      upTo === undefined ? undefined : messageKeyOf(upTo),
      2000,
    );
    await batch.commit();
    expect(read.map((m) => m.stamp)).toEqual([1005, 1004, 1002, 1001]);
    expect((await readConversation(records, id))?.unread).toBe(2);
    batch = new Batch(records);
    const rest = await markReadUpTo(
      batch,
      (await readConversation(records, id)) as Conversation,
      undefined,
      2000,
    );
    await batch.commit();
    expect(rest.map((m) => m.stamp)).toEqual([1008, 1007]);
    expect((await readConversation(records, id))?.unread).toBe(0);
  });

  it('does not let a notice marked read lower the unread count of the texts after it', async () => {
    const { records } = createMemoryStorage();
    let batch = new Batch(records);
    let conversation: Conversation = await ensureDirectConversation(batch, PEER, 1);
    const notice = systemMessageRecord({
      id: new Uint8Array(16).fill(7) as MessageRecord['id'],
      conversation: conversation.id,
      stamp: 1001,
      about: PEER,
      aboutDevice: 1,
      event: SystemEvent.TIMER_CHANGED,
      now: 1001,
    });
    conversation = await stageNewMessage(batch, conversation, notice);
    conversation = await stageNewMessage(batch, conversation, record(conversation.id, 1002, false));
    await batch.commit();
    expect(conversation.unread).toBe(1); // the text; notices do not count
    // The page marks up to the notice (it had not loaded the text yet).
    batch = new Batch(records);
    await markReadUpTo(batch, conversation, messageKeyOf(notice), 2000);
    await batch.commit();
    expect((await readConversation(records, conversation.id))?.unread).toBe(1);
  });

  it('moves outgoing states only forward and keeps the preview in step', async () => {
    const { records, id } = await seed(3); // message 1003 is outgoing and the newest
    const me = record(id, 1003, true);
    for (const [state, moved] of [
      [MessageState.DELIVERED, true],
      [MessageState.STORED, false],
      [MessageState.READ, true],
      [MessageState.DELIVERED, false],
      [MessageState.FAILED, false],
    ] as const) {
      const batch = new Batch(records);
      const updated = await advanceMessage(batch, ME, me.id, state);
      await batch.commit();
      expect(updated !== undefined).toBe(moved);
    }
    expect((await readConversation(records, id))?.last?.state).toBe(MessageState.READ);
    expect(canAdvance(MessageState.SENDING, MessageState.FAILED)).toBe(true);
    // A recipient that could not decrypt it asks again: stored -> failed -> resent -> delivered.
    expect(canAdvance(MessageState.STORED, MessageState.FAILED)).toBe(true);
    expect(canAdvance(MessageState.FAILED, MessageState.RESENT)).toBe(true);
    expect(canAdvance(MessageState.RESENT, MessageState.DELIVERED)).toBe(true);
    expect(canAdvance(MessageState.DELIVERED, MessageState.FAILED)).toBe(false);
    expect(canAdvance(MessageState.RESENT, MessageState.STORED)).toBe(false);
    expect(canAdvance(MessageState.RECEIVED, MessageState.READ)).toBe(true);
  });
});
