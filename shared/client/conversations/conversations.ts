/**
 * Conversation records: one per direct chat and one per group,
 * holding what a conversation list shows without reading messages: the
 * unread count, the last message preview and the last change time. Ids are
 * `u:<user id>` for direct chats and `g:<hex>` for groups.
 */
import * as v from 'valibot';
import { toHex } from '../../bytes.ts';
import type { Batch } from '../store/batch.ts';
import { BytesField, decodeRecord, encodeRecord, IntField } from '../store/record-codec.ts';
import { Keys } from '../store/storage-keys.ts';
import type { RecordStore } from '../store/store.ts';

export const MessageState = {
  SENDING: 'sending',
  STORED: 'stored',
  DELIVERED: 'delivered',
  READ: 'read',
  FAILED: 'failed',
  /**
   * A recipient device could not decrypt it and asked for it again (retry.ts):
   * sent again and stored on the relay, waiting for the delivery receipt.
   */
  RESENT: 'resent',
  /** Incoming, not yet read here. */
  RECEIVED: 'received',
} as const;
export type MessageState = (typeof MessageState)[keyof typeof MessageState];

export const MessageStateSchema = v.picklist([
  MessageState.SENDING,
  MessageState.STORED,
  MessageState.DELIVERED,
  MessageState.READ,
  MessageState.FAILED,
  MessageState.RESENT,
  MessageState.RECEIVED,
]);

const PreviewSchema = v.object({
  id: BytesField,
  key: v.string(),
  text: v.string(),
  at: IntField,
  outgoing: v.boolean(),
  state: MessageStateSchema,
  kind: v.picklist(['text', 'system']),
  /**
   * A disappearing message: `text` is empty here and read from the message
   * record while it exists, so deleting the record deletes the plaintext.
   */
  exp: v.optional(v.boolean()),
});

const ConversationSchema = v.object({
  v: v.literal(1),
  id: v.string(),
  kind: v.picklist(['direct', 'group']),
  /** Direct chats: the other user. */
  peer: v.optional(v.string()),
  /** Group name (groups); direct chats show the contact's handle. */
  title: v.optional(v.string()),
  unread: IntField,
  last: v.optional(PreviewSchema),
  /** Key of the newest message marked read (incoming messages at or before it are read). */
  readUpTo: v.optional(v.string()),
  /** Disappearing-message timer (ms, 0 or absent = off); groups mirror their state's. */
  timer: v.optional(IntField),
  /** Direct chats: when and by whom the timer was last set (the later setting wins). */
  timerAt: v.optional(IntField),
  timerBy: v.optional(v.string()),
  createdAt: IntField,
  updatedAt: IntField,
});

export type Conversation = v.InferOutput<typeof ConversationSchema>;
export type MessagePreview = v.InferOutput<typeof PreviewSchema>;

/** Longest preview text kept in the conversation record. */
export const PREVIEW_MAX_CHARS = 200;

export function directConversationId(user: string): string {
  return `u:${user}`;
}

export function groupConversationId(group: Uint8Array): string {
  return `g:${toHex(group)}`;
}

/** The group id (hex) of a group conversation id, or undefined for anything else. */
export function groupHexOf(conversationId: string): string | undefined {
  return conversationId.startsWith('g:') ? conversationId.slice(2) : undefined;
}

/** The peer of a direct conversation id, or undefined for anything else. */
export function peerOf(conversationId: string): string | undefined {
  return conversationId.startsWith('u:') ? conversationId.slice(2) : undefined;
}

export function decodeConversation(raw: Uint8Array): Conversation {
  return decodeRecord(ConversationSchema, raw, 'conversation');
}

export async function readConversation(
  records: Pick<RecordStore, 'get'>,
  id: string,
): Promise<Conversation | undefined> {
  const raw = await records.get(Keys.conversation(id));
  return raw === undefined ? undefined : decodeConversation(raw);
}

export function stageConversation(batch: Batch, conversation: Conversation): void {
  batch.set(Keys.conversation(conversation.id), encodeRecord(conversation));
}

/** The direct conversation with `peer`, created (staged) if needed. */
export async function ensureDirectConversation(
  batch: Batch,
  peer: string,
  now: number,
): Promise<Conversation> {
  const id = directConversationId(peer);
  const existing = await readConversation(batch, id);
  if (existing !== undefined) return existing;
  const created: Conversation = {
    v: 1,
    id,
    kind: 'direct',
    peer,
    unread: 0,
    createdAt: now,
    updatedAt: now,
  };
  stageConversation(batch, created);
  return created;
}

/** The conversation of group `group`, created (staged) if needed; title and timer kept in step. */
export async function ensureGroupConversation(
  batch: Batch,
  group: Uint8Array,
  title: string,
  timer: number,
  now: number,
): Promise<Conversation> {
  const id = groupConversationId(group);
  const existing = await readConversation(batch, id);
  if (existing !== undefined) {
    if (existing.title === title && (existing.timer ?? 0) === timer) return existing;
    const updated: Conversation = { ...existing, title, timer };
    stageConversation(batch, updated);
    return updated;
  }
  const created: Conversation = {
    v: 1,
    id,
    kind: 'group',
    title,
    timer,
    unread: 0,
    createdAt: now,
    updatedAt: now,
  };
  stageConversation(batch, created);
  return created;
}

/** Every conversation, most recently changed first. */
export async function listConversations(records: RecordStore): Promise<Conversation[]> {
  const all = (await records.list(Keys.conversations)).map(([, raw]) => decodeConversation(raw));
  return all.sort((a, b) => b.updatedAt - a.updatedAt || (a.id < b.id ? -1 : 1));
}

export function previewText(text: string): string {
  return text.length <= PREVIEW_MAX_CHARS ? text : `${text.slice(0, PREVIEW_MAX_CHARS - 1)}…`;
}
