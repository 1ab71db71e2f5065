/**
 * Disappearing messages (Signal's semantics). A conversation has a timer
 * (off, 30 s, 5 min, 1 h, 1 day, 1 week); every message sent while it is on
 * carries it (`exp` in the content, `expiresIn` in the record). Each device
 * starts the countdown on its own copy (countdown.ts). When it ends, the
 * message record, its receipt index and its expiry entry are deleted in one
 * write, and the conversation preview moves to the newest remaining message.
 *
 * The sweep needs only keys: `expiry/<time>/<author>/<message key>` names
 * the message record (`msg/<conversation>/<stamp>/<id>`) and its receipt
 * index (`msgidx/<author>/<id>`), and the copy kept for resends (`sent/<id>`,
 * retry.ts); for our own messages with files a last segment names the relay
 * ids of the uploads, which the client then deletes on the relay. So the extension can run it from a
 * chrome.alarms alarm while its vault is locked, when no value can be read.
 * Previews of disappearing messages keep no text of their own (the text is
 * read from the message record while it exists), so deleting the record
 * deletes every stored copy of the plaintext.
 */
import { fromHex } from '../../bytes.ts';
import {
  type Conversation,
  readConversation,
  stageConversation,
} from '../conversations/conversations.ts';
import { decodeMessage, previewOf, stageMessageDeletion } from '../conversations/messages.ts';
import type { Batch } from '../store/batch.ts';
import { Keys } from '../store/storage-keys.ts';
import type { RecordStore } from '../store/store.ts';

const TIME_CHARS = 16;
const USER_CHARS = 36;
/** An upload's relay id: 16 bytes, base64url. */
const RELAY_ID = /^[A-Za-z0-9_-]{22}$/;

export interface ExpiryEntry {
  readonly at: number;
  readonly author: string;
  /** `msg/<conversation>/<stamp>/<id>` */
  readonly messageKey: string;
  readonly conversationId: string;
  /** Message id, 32 hex characters. */
  readonly id: string;
  /**
   * Relay ids (base64url) of files our own expired message carried: the
   * uploader deletes them on the relay. Named in the index key itself, so a
   * locked sweep has them too (`Keys.expiry`).
   */
  readonly uploads?: readonly string[];
}

/** Reads an index key (pure); undefined for anything that is not one. */
export function parseExpiryKey(key: string): ExpiryEntry | undefined {
  if (!key.startsWith(Keys.expiries)) return undefined;
  const rest = key.slice(Keys.expiries.length);
  const at = Number(rest.slice(0, TIME_CHARS));
  const author = rest.slice(TIME_CHARS + 1, TIME_CHARS + 1 + USER_CHARS);
  const parts = rest.slice(TIME_CHARS + 2 + USER_CHARS).split('/');
  const [prefix, conversationId, , id, uploadList] = parts;
  const uploads = uploadList === undefined ? [] : uploadList.split('.');
  if (
    !Number.isSafeInteger(at) ||
    (parts.length !== 4 && parts.length !== 5) ||
    `${prefix}/` !== 'msg/' ||
    conversationId === undefined ||
    id === undefined ||
    !/^[0-9a-f]{32}$/.test(id) ||
    !uploads.every((u) => RELAY_ID.test(u))
  ) {
    return undefined;
  }
  const messageKey = parts.slice(0, 4).join('/');
  return { at, author, messageKey, conversationId, id, ...(uploads.length > 0 ? { uploads } : {}) };
}

/** The earliest running countdown's end, or null when none runs (keys only). */
export async function nextExpiry(records: RecordStore): Promise<number | null> {
  const [first] = await records.list(Keys.expiries, { limit: 1 });
  if (first === undefined) return null;
  return parseExpiryKey(first[0])?.at ?? null;
}

/**
 * Deletes every message whose countdown ended at or before `now` (staged in
 * `batch`; at most `limit` per call), using keys only. With `fixPreviews`
 * (values readable) the previews of the conversations involved move to the
 * newest remaining message; otherwise the conversation view does that when
 * it finds the preview's message gone.
 */
export async function stageExpired(
  batch: Batch,
  now: number,
  options: { readonly limit?: number; readonly fixPreviews?: boolean } = {},
): Promise<ExpiryEntry[]> {
  const rows = await batch.records.list(Keys.expiries, { limit: options.limit ?? 500 });
  const expired: ExpiryEntry[] = [];
  for (const [indexKey] of rows) {
    const entry = parseExpiryKey(indexKey);
    if (entry !== undefined && entry.at > now) break; // sorted by time: nothing later is due
    if (entry === undefined) {
      batch.delete(indexKey);
      continue;
    }
    stageMessageDeletion(batch, {
      key: entry.messageKey,
      author: entry.author,
      id: fromHex(entry.id),
      expiryKey: indexKey,
    });
    expired.push(entry);
  }
  if (options.fixPreviews !== false) {
    const deleted = new Set(expired.map((e) => e.messageKey));
    for (const id of new Set(expired.map((e) => e.conversationId))) {
      const conversation = await readConversation(batch, id);
      if (conversation?.last === undefined || !deleted.has(conversation.last.key)) continue;
      stageConversation(batch, await withNewestPreview(batch, conversation, deleted));
    }
  }
  return expired;
}

/** The conversation with its preview set to the newest message not in `deleted` (or none). */
export async function withNewestPreview(
  batch: Pick<Batch, 'records'>,
  conversation: Conversation,
  deleted: ReadonlySet<string>,
): Promise<Conversation> {
  const { last: _dropped, ...rest } = conversation;
  let cursor: string | undefined;
  for (;;) {
    const rows = await batch.records.list(Keys.messagesOf(conversation.id), {
      reverse: true,
      limit: 16,
      ...(cursor === undefined ? {} : { after: cursor }),
    });
    if (rows.length === 0) return rest;
    for (const [key, raw] of rows) {
      if (!deleted.has(key)) return { ...rest, last: previewOf(decodeMessage(raw)) };
    }
    cursor = rows[rows.length - 1]?.[0];
  }
}
