/**
 * Message records, keyed `msg/<conversation>/<stamp>/<id>` so a conversation
 * pages newest-first with one prefix walk, plus an index
 * `msgidx/<author>/<id>` so receipts find the message they name. Each write
 * also keeps the conversation record (preview, unread count) in step, in the
 * same batch.
 *
 * Outgoing states only move forward: sending -> stored -> resent -> delivered
 * -> read. `failed` comes from sending, stored or resent (the relay refused
 * it, or a recipient could not decrypt it and it could not be sent again);
 * from failed a message may still be resent, delivered or read (a receipt
 * proves it arrived). Incoming messages are `received` until read here.
 */
import * as v from 'valibot';
import { stageExpiryIndex, startCountdown } from '../disappearing/countdown.ts';
import { AttachmentPointerSchema, type TextContent } from '../sessions/content.ts';
import type { Batch } from '../store/batch.ts';
import { bytesOf, decodeRecord, encodeRecord, IntField } from '../store/record-codec.ts';
import { Keys } from '../store/storage-keys.ts';
import type { RecordStore } from '../store/store.ts';
import {
  type Conversation,
  type MessagePreview,
  MessageState,
  MessageStateSchema,
  previewText,
  readConversation,
  stageConversation,
} from './conversations.ts';

export const SystemEvent = {
  /** The contact's identity key changed (safety number changed). */
  IDENTITY_CHANGED: 'identity-changed',
  /**
   * A message from this sender could not be decrypted and will not come again:
   * no session could work (a new one was started), or the retry budget is spent.
   */
  DECRYPT_FAILED: 'decrypt-failed',
  /** The disappearing-message timer changed (direct chats and groups). */
  TIMER_CHANGED: 'timer-changed',
  /** Group created, or we were added (joined). */
  GROUP_CREATED: 'group-created',
  GROUP_JOINED: 'group-joined',
  MEMBER_ADDED: 'member-added',
  MEMBER_REMOVED: 'member-removed',
  MEMBER_LEFT: 'member-left',
  ROLE_CHANGED: 'role-changed',
  GROUP_RENAMED: 'group-renamed',
  /** A concurrent change by another admin won: this one no longer holds. */
  GROUP_CHANGE_SUPERSEDED: 'group-change-superseded',
  /** A sender's group messages skipped sequence numbers: some never arrived. */
  MESSAGES_MISSING: 'messages-missing',
} as const;
export type SystemEvent = (typeof SystemEvent)[keyof typeof SystemEvent];

const SystemEventSchema = v.picklist(Object.values(SystemEvent) as [SystemEvent, ...SystemEvent[]]);

const MessageRecordSchema = v.object({
  v: v.literal(1),
  id: bytesOf(16),
  conv: v.string(),
  stamp: IntField,
  author: v.string(),
  authorDevice: IntField,
  outgoing: v.boolean(),
  kind: v.picklist(['text', 'system']),
  text: v.string(),
  /** The sender's clock (claimed by the sender for incoming messages). */
  sentAt: IntField,
  /** Our clock when it was stored here. */
  receivedAt: IntField,
  state: MessageStateSchema,
  system: v.optional(SystemEventSchema),
  /** Error code when state is failed. */
  error: v.optional(v.string()),
  /** Disappearing-message timer this message was sent with (ms). */
  expiresIn: v.optional(IntField),
  /** When its countdown ends (set when sent here, or when read here). */
  expiresAt: v.optional(IntField),
  /** Outgoing group messages: members that confirmed delivery / reading, out of `of`. */
  dlv: v.optional(v.array(v.string())),
  rd: v.optional(v.array(v.string())),
  of: v.optional(IntField),
  /** Texts with files: the pointers (key, digest, id on the relay); the text is the caption. */
  att: v.optional(v.array(AttachmentPointerSchema)),
});

export type MessageRecord = v.InferOutput<typeof MessageRecordSchema>;

const OUTGOING_RANK: Readonly<Record<string, number>> = {
  [MessageState.SENDING]: 0,
  [MessageState.STORED]: 1,
  [MessageState.RESENT]: 2,
  [MessageState.DELIVERED]: 3,
  [MessageState.READ]: 4,
};

/** Whether an outgoing message may move from `from` to `to` (only forward; see the header). */
export function canAdvance(from: MessageState, to: MessageState): boolean {
  if (to === MessageState.FAILED) {
    return (
      from === MessageState.SENDING || from === MessageState.STORED || from === MessageState.RESENT
    );
  }
  if (from === MessageState.FAILED) {
    return to === MessageState.RESENT || to === MessageState.DELIVERED || to === MessageState.READ;
  }
  if (from === MessageState.RECEIVED) return to === MessageState.READ;
  const a = OUTGOING_RANK[from];
  const b = OUTGOING_RANK[to];
  return a !== undefined && b !== undefined && b > a;
}

const SYSTEM_TEXT: Readonly<Partial<Record<SystemEvent, string>>> = {
  [SystemEvent.IDENTITY_CHANGED]: 'Safety number changed',
  [SystemEvent.DECRYPT_FAILED]: 'A message could not be decrypted',
};

/**
 * A timeline notice (not a message anyone wrote): safety number changed,
 * decrypt failure, timer and group changes, missing messages. `text` is the
 * English sentence (the UI may build its own from `system` and `author`).
 */
export function systemMessageRecord(input: {
  readonly id: MessageRecord['id'];
  readonly conversation: string;
  readonly stamp: number;
  readonly about: string;
  readonly aboutDevice: number;
  readonly event: SystemEvent;
  readonly now: number;
  readonly text?: string;
}): MessageRecord {
  return {
    v: 1,
    id: input.id,
    conv: input.conversation,
    stamp: input.stamp,
    author: input.about,
    authorDevice: input.aboutDevice,
    outgoing: false,
    kind: 'system',
    text: input.text ?? SYSTEM_TEXT[input.event] ?? input.event,
    sentAt: input.now,
    receivedAt: input.now,
    state: MessageState.RECEIVED,
    system: input.event,
  };
}

/**
 * A text that arrived from a device: someone else's (received, unread) or
 * ours from another of our devices (stored; its countdown runs from when it
 * was sent, a received copy's from when it is read). `of`: our group
 * messages, how many members receipts are expected from.
 */
export function arrivedTextRecord(input: {
  readonly content: Pick<TextContent, 'id' | 'text' | 'sentAt' | 'exp' | 'att'>;
  readonly conversation: string;
  readonly stamp: number;
  readonly author: string;
  readonly authorDevice: number;
  readonly fromSelf: boolean;
  readonly now: number;
  readonly of?: number;
}): MessageRecord {
  const { content, fromSelf, now } = input;
  const message: MessageRecord = {
    v: 1,
    id: content.id,
    conv: input.conversation,
    stamp: input.stamp,
    author: input.author,
    authorDevice: input.authorDevice,
    outgoing: fromSelf,
    kind: 'text',
    text: content.text,
    sentAt: content.sentAt,
    receivedAt: now,
    state: fromSelf ? MessageState.STORED : MessageState.RECEIVED,
    ...(content.exp === undefined ? {} : { expiresIn: content.exp }),
    ...(input.of === undefined ? {} : { of: input.of }),
    ...(content.att === undefined || content.att.length === 0 ? {} : { att: content.att }),
  };
  return fromSelf ? startCountdown(message, Math.min(now, content.sentAt)) : message;
}

export function messageKeyOf(m: Pick<MessageRecord, 'conv' | 'stamp' | 'id'>): string {
  return Keys.message(m.conv, m.stamp, m.id);
}

/**
 * Deletes a stored message with everything that names it or holds its text:
 * the record, its receipt index, the copy kept for resends (retry.ts) and,
 * when it has one, its expiry entry. Keys only, so the expiry sweep can use
 * it while the vault is locked.
 */
export function stageMessageDeletion(
  batch: Batch,
  message: {
    /** `msg/<conversation>/<stamp>/<id>` */
    readonly key: string;
    readonly author: string;
    readonly id: Uint8Array;
    /** The expiry index key, when the message has a running countdown. */
    readonly expiryKey?: string;
  },
): void {
  batch.delete(message.key);
  batch.delete(Keys.messageIndex(message.author, message.id));
  batch.delete(Keys.sent(message.id));
  if (message.expiryKey !== undefined) batch.delete(message.expiryKey);
}

export function decodeMessage(raw: Uint8Array): MessageRecord {
  return decodeRecord(MessageRecordSchema, raw, 'message');
}

export function previewOf(m: MessageRecord): MessagePreview {
  const disappearing = m.expiresIn !== undefined;
  return {
    id: m.id,
    key: messageKeyOf(m),
    // A disappearing message's text lives only in its own record (expiry.ts).
    text: disappearing ? '' : previewText(previewSource(m)),
    at: m.kind === 'system' ? m.receivedAt : m.sentAt,
    outgoing: m.outgoing,
    state: m.state,
    kind: m.kind,
    ...(disappearing ? { exp: true } : {}),
  };
}

/** A caption, or for files sent without one, what they are (`Photo`, the file name). */
function previewSource(m: MessageRecord): string {
  const first = m.att?.[0];
  if (m.text !== '' || first === undefined) return m.text;
  const label = first.mime.startsWith('image/') ? 'Photo' : (first.name ?? 'File');
  return m.att !== undefined && m.att.length > 1 ? `${label} +${m.att.length - 1}` : label;
}

/** Incoming texts not yet read: what a conversation's unread count counts (notices never do). */
function countsAsUnread(m: MessageRecord): boolean {
  return !m.outgoing && m.kind === 'text' && m.state === MessageState.RECEIVED;
}

/**
 * Stages a new message and the conversation change it implies (preview,
 * updatedAt, unread + 1 for incoming text). Returns the updated conversation.
 */
export async function stageNewMessage(
  batch: Batch,
  conversation: Conversation,
  message: MessageRecord,
): Promise<Conversation> {
  const key = messageKeyOf(message);
  batch.set(key, encodeRecord(message));
  if (message.kind === 'text') {
    batch.set(Keys.messageIndex(message.author, message.id), new TextEncoder().encode(key));
  }
  stageExpiryIndex(batch, message);
  const unread = countsAsUnread(message) ? conversation.unread + 1 : conversation.unread;
  const updated: Conversation = {
    ...conversation,
    unread,
    last: previewOf(message),
    updatedAt: Math.max(conversation.updatedAt, message.receivedAt),
  };
  stageConversation(batch, updated);
  return updated;
}

export async function findMessage(
  batch: Pick<Batch, 'get'>,
  author: string,
  id: Uint8Array,
): Promise<{ key: string; message: MessageRecord } | undefined> {
  const rawKey = await batch.get(Keys.messageIndex(author, id));
  if (rawKey === undefined) return undefined;
  const key = new TextDecoder().decode(rawKey);
  const raw = await batch.get(key);
  return raw === undefined ? undefined : { key, message: decodeMessage(raw) };
}

/**
 * Moves a message to `state` if that is forward (canAdvance), keeping the
 * conversation preview and unread count in step. Returns the new record, or
 * undefined if nothing changed.
 */
export async function advanceMessage(
  batch: Batch,
  author: string,
  id: Uint8Array,
  state: MessageState,
  extra: { error?: string; now?: number } = {},
): Promise<MessageRecord | undefined> {
  const found = await findMessage(batch, author, id);
  if (found === undefined || !canAdvance(found.message.state, state)) return undefined;
  let updated: MessageRecord = {
    ...found.message,
    state,
    ...(extra.error === undefined ? {} : { error: extra.error }),
  };
  if (state === MessageState.READ && !updated.outgoing && extra.now !== undefined) {
    updated = startCountdown(updated, extra.now); // read on another of our devices
    stageExpiryIndex(batch, updated);
  }
  batch.set(found.key, encodeRecord(updated));
  const conversation = await readConversation(batch, updated.conv);
  if (conversation !== undefined) {
    let next = conversation;
    if (conversation.last?.key === found.key) next = { ...next, last: previewOf(updated) };
    if (countsAsUnread(found.message) && state === MessageState.READ) {
      next = { ...next, unread: Math.max(0, next.unread - 1) };
    }
    if (next !== conversation) stageConversation(batch, next);
  }
  return updated;
}

export interface MessagePage {
  /** Oldest first. */
  readonly messages: MessageRecord[];
  /** Pass back as `before` for older messages; null at the start of history. */
  readonly before: string | null;
}

/** One page, newest messages first in the walk, returned oldest first. */
export async function listMessagePage(
  records: RecordStore,
  conversation: string,
  options: { readonly before?: string; readonly limit: number },
): Promise<MessagePage> {
  const limit = Math.max(1, Math.min(500, Math.floor(options.limit)));
  const rows = await records.list(Keys.messagesOf(conversation), {
    reverse: true,
    limit: limit + 1,
    ...(options.before === undefined ? {} : { after: options.before }),
  });
  const page = rows.slice(0, limit);
  const messages = page.map(([, raw]) => decodeMessage(raw)).reverse();
  const oldest = page[page.length - 1];
  return { messages, before: rows.length > limit && oldest !== undefined ? oldest[0] : null };
}

/**
 * Marks incoming messages up to `upTo` (a message key; default the newest)
 * read. Returns the messages that changed, for read receipts.
 */
export async function markReadUpTo(
  batch: Batch,
  conversation: Conversation,
  upTo: string | undefined,
  now: number,
): Promise<MessageRecord[]> {
  const prefix = Keys.messagesOf(conversation.id);
  const start = upTo === undefined ? undefined : `${upTo}\u0000`;
  const changed: MessageRecord[] = [];
  let wereUnread = 0;
  let newest: string | undefined;
  let cursor = start;
  let done = false;
  while (!done) {
    const rows = await batch.records.list(prefix, {
      reverse: true,
      limit: 100,
      ...(cursor === undefined ? {} : { after: cursor }),
    });
    if (rows.length === 0) break;
    for (const [key, raw] of rows) {
      newest ??= key;
      if (conversation.readUpTo !== undefined && key <= conversation.readUpTo) {
        done = true;
        break;
      }
      const m = decodeMessage(raw);
      if (!m.outgoing && m.state === MessageState.RECEIVED) {
        // Notices change state too, but only what counted as unread lowers the count.
        if (countsAsUnread(m)) wereUnread++;
        // Disappearing messages start their countdown when read here.
        const read = startCountdown({ ...m, state: MessageState.READ }, now);
        batch.set(key, encodeRecord(read));
        stageExpiryIndex(batch, read);
        changed.push(read);
      }
    }
    cursor = rows[rows.length - 1]?.[0];
  }
  if (newest === undefined) return changed;
  const readUpTo =
    conversation.readUpTo !== undefined && conversation.readUpTo > newest
      ? conversation.readUpTo
      : newest;
  const last =
    conversation.last !== undefined &&
    changed.some((m) => messageKeyOf(m) === conversation.last?.key)
      ? { ...conversation.last, state: MessageState.READ }
      : conversation.last;
  stageConversation(batch, {
    ...conversation,
    readUpTo,
    unread: Math.max(0, conversation.unread - wereUnread),
    ...(last === undefined ? {} : { last }),
  });
  return changed;
}
