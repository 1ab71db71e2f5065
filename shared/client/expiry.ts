/**
 * Disappearing messages (Signal's semantics). A conversation has a timer
 * (off, 30 s, 5 min, 1 h, 1 day, 1 week); every message sent while it is on
 * carries it (`exp` in the content, `expiresIn` in the record). Each device
 * starts the countdown on its own copy (countdown.ts). When it ends, the
 * message record, its receipt index and its expiry entry are deleted in one
 * write, and the conversation preview moves to the newest remaining message.
 *
 * The index makes the next expiry one key read (the extension sets a
 * chrome.alarms alarm for it), and the sweep walks only what is due.
 */
import type { Batch } from './batch.ts';
import { type Conversation, readConversation, stageConversation } from './conversations.ts';
import { decodeMessage, type MessageRecord, previewOf } from './messages.ts';
import { Keys } from './storage-keys.ts';
import type { RecordStore } from './store.ts';

/** The earliest running countdown's end, or null when none runs. */
export async function nextExpiry(records: RecordStore): Promise<number | null> {
  const [first] = await records.list(Keys.expiries, { limit: 1 });
  if (first === undefined) return null;
  const time = Number(first[0].slice(Keys.expiries.length, Keys.expiries.length + 16));
  return Number.isSafeInteger(time) ? time : null;
}

export interface Expired {
  readonly conversationId: string;
  readonly message: MessageRecord;
  readonly key: string;
}

/**
 * Deletes every message whose countdown ended at or before `now` (staged in
 * `batch`; at most `limit` per call) and fixes the previews of the
 * conversations involved. Returns what was deleted.
 */
export async function stageExpired(batch: Batch, now: number, limit = 500): Promise<Expired[]> {
  const rows = await batch.records.list(Keys.expiries, { limit });
  const expired: Expired[] = [];
  const touched = new Set<string>();
  for (const [indexKey, raw] of rows) {
    const at = Number(indexKey.slice(Keys.expiries.length, Keys.expiries.length + 16));
    if (!(at <= now)) break;
    batch.delete(indexKey);
    const key = new TextDecoder().decode(raw);
    const stored = await batch.get(key);
    if (stored === undefined) continue;
    const message = decodeMessage(stored);
    batch.delete(key);
    batch.delete(Keys.messageIndex(message.author, message.id));
    expired.push({ conversationId: message.conv, message, key });
    touched.add(message.conv);
  }
  const deleted = new Set(expired.map((e) => e.key));
  for (const id of touched) {
    const conversation = await readConversation(batch, id);
    if (conversation === undefined || conversation.last === undefined) continue;
    if (!deleted.has(conversation.last.key)) continue;
    stageConversation(batch, await withNewestPreview(batch, conversation, deleted));
  }
  return expired;
}

/** The conversation with its preview set to the newest message not in `deleted` (or none). */
export async function withNewestPreview(
  batch: Batch,
  conversation: Conversation,
  deleted: ReadonlySet<string>,
): Promise<Conversation> {
  let cursor: string | undefined;
  for (;;) {
    const rows = await batch.records.list(Keys.messagesOf(conversation.id), {
      reverse: true,
      limit: 16,
      ...(cursor === undefined ? {} : { after: cursor }),
    });
    if (rows.length === 0) break;
    for (const [key, raw] of rows) {
      if (deleted.has(key)) continue;
      const { last: _dropped, ...rest } = conversation;
      return { ...rest, last: previewOf(decodeMessage(raw)) };
    }
    cursor = rows[rows.length - 1]?.[0];
  }
  const { last: _dropped, ...rest } = conversation;
  return rest;
}
