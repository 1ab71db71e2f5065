/**
 * A populated client store for the backup bench: settings, `contacts`
 * accepted contacts (a tenth of them verified) with one direct conversation
 * each, and `messages` text messages spread over those conversations, built
 * with the client core's own record constructors and codec (the records a
 * real client writes, nothing hand-made at the byte level).
 *
 * Texts are made of common English words with a chat-like length mix (most
 * a few words, some a paragraph; about 60 characters on average), so the
 * compression ratio is that of prose rather than of repeated filler. Half
 * the messages are outgoing (delivered or read), half incoming (most read);
 * one in twenty runs a 7-day disappearing timer that ends well after the
 * export (carried), one in fifty carries an attachment pointer. Everything
 * comes from a seeded generator, so every run builds the same profile.
 */
import { newContact } from '../../shared/client/contacts/contacts.ts';
import {
  type Conversation,
  directConversationId,
  MessageState,
} from '../../shared/client/conversations/conversations.ts';
import {
  arrivedTextRecord,
  type MessageRecord,
  messageKeyOf,
} from '../../shared/client/conversations/messages.ts';
import { encodeRecord } from '../../shared/client/store/record-codec.ts';
import { Keys } from '../../shared/client/store/storage-keys.ts';
import type { RecordStore, StoreOperation } from '../../shared/client/store/store.ts';

const DAY = 86_400_000;
const WRITE_BATCH = 2_000;

const WORDS = (
  'the be to of and a in that have i it for not on with he as you do at this but his by from ' +
  'they we say her she or an will my one all would there their what so up out if about who get ' +
  'which go me when make can like time no just him know take people into year your good some ' +
  'could them see other than then now look only come its over think also back after use two how ' +
  'our work first well way even new want because any these give day most us is are was were ' +
  'tonight tomorrow later meeting lunch coffee train home office call send photo thanks sorry ' +
  'great sounds okay sure maybe weekend dinner running late almost there see you soon love it ' +
  'haha yes no please let me check will do agreed perfect nice done found ticket flight hotel'
).split(' ');

/** mulberry32: a small seeded generator, so every run builds the same profile. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function bytes(random: () => number, length: number): Uint8Array<ArrayBuffer> {
  return Uint8Array.from({ length }, () => Math.floor(random() * 256));
}

function uuid(random: () => number): string {
  const b = bytes(random, 16);
  b[6] = ((b[6] as number) & 0x0f) | 0x40;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Words in a message: mostly a few, sometimes a sentence or a paragraph. */
function wordCount(random: () => number): number {
  const r = random();
  if (r < 0.7) return 1 + Math.floor(random() * 9);
  if (r < 0.95) return 10 + Math.floor(random() * 25);
  return 35 + Math.floor(random() * 80);
}

function text(random: () => number): string {
  const n = wordCount(random);
  const words = Array.from({ length: n }, () => WORDS[Math.floor(random() * WORDS.length)]);
  const sentence = words.join(' ');
  return `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}${random() < 0.3 ? '?' : '.'}`;
}

function message(
  random: () => number,
  self: string,
  peer: string,
  stamp: number,
  now: number,
): MessageRecord {
  const outgoing = random() < 0.5;
  const timer = random() < 0.05;
  const attachment = random() < 0.02;
  const arrived = arrivedTextRecord({
    content: {
      id: bytes(random, 16),
      text: text(random),
      sentAt: stamp - 500,
      ...(attachment
        ? {
            att: [
              {
                id: bytes(random, 16),
                key: bytes(random, 32),
                digest: bytes(random, 32),
                size: 50_000 + Math.floor(random() * 2_000_000),
                mime: 'image/jpeg',
                name: 'photo.jpg',
                width: 1280,
                height: 960,
              },
            ],
          }
        : {}),
    },
    conversation: directConversationId(peer),
    stamp,
    author: outgoing ? self : peer,
    authorDevice: 1,
    fromSelf: false,
    now: stamp,
  });
  const state = outgoing
    ? random() < 0.6
      ? MessageState.READ
      : MessageState.DELIVERED
    : random() < 0.95
      ? MessageState.READ
      : MessageState.RECEIVED;
  return {
    ...arrived,
    outgoing,
    state,
    // A timer that ends a week after now: carried by a backup (only those ending within 24 h are not).
    ...(timer ? { expiresIn: 7 * DAY, expiresAt: now + 7 * DAY } : {}),
  };
}

function conversation(peer: string, last: MessageRecord | undefined, now: number): Conversation {
  const base: Conversation = {
    v: 1,
    id: directConversationId(peer),
    kind: 'direct',
    peer,
    unread: 0,
    createdAt: now - 400 * DAY,
    updatedAt: last?.stamp ?? now - 400 * DAY,
  };
  if (last === undefined) return base;
  const key = messageKeyOf(last);
  return {
    ...base,
    readUpTo: key,
    last: {
      id: last.id,
      key,
      text: last.text.slice(0, 200),
      at: last.stamp,
      outgoing: last.outgoing,
      state: last.state,
      kind: 'text',
    },
  };
}

export interface ProfileShape {
  readonly contacts: number;
  readonly messages: number;
}

export interface ProfileFacts {
  /** Text characters over all messages. */
  readonly textChars: number;
  /** Records written (settings, contacts, conversations, messages). */
  readonly records: number;
}

/** Writes the profile into `records` (which should be empty); `now` is the export time to come. */
export async function populateProfile(
  records: RecordStore,
  self: string,
  shape: ProfileShape,
  now: number,
  seed = 1,
): Promise<ProfileFacts> {
  const random = seeded(seed);
  const peers = Array.from({ length: shape.contacts }, () => uuid(random));
  const ops: StoreOperation[] = [
    {
      op: 'set',
      key: Keys.settings,
      value: encodeRecord({ v: 1, readReceipts: true, typingIndicators: true, showPresence: true }),
    },
  ];
  for (const [i, peer] of peers.entries()) {
    const contact = { ...newContact(peer, 'accepted', now - 400 * DAY), verified: i % 10 === 0 };
    ops.push({ op: 'set', key: Keys.contact(peer), value: encodeRecord(contact) });
  }
  const newest = new Map<string, MessageRecord>();
  let textChars = 0;
  // One message every few minutes over the past months, oldest first.
  const spacing = Math.max(1, Math.floor((300 * DAY) / Math.max(1, shape.messages)));
  for (let n = 0; n < shape.messages; n++) {
    const peer = peers[Math.floor(random() * peers.length)] as string;
    const m = message(random, self, peer, now - 300 * DAY + n * spacing, now);
    textChars += m.text.length;
    newest.set(peer, m);
    ops.push({ op: 'set', key: messageKeyOf(m), value: encodeRecord(m) });
    if (ops.length >= WRITE_BATCH) await records.write(ops.splice(0));
  }
  for (const peer of peers) {
    const value = encodeRecord(conversation(peer, newest.get(peer), now));
    ops.push({ op: 'set', key: Keys.conversation(directConversationId(peer)), value });
  }
  await records.write(ops);
  return { textChars, records: 1 + 2 * shape.contacts + shape.messages };
}
