/**
 * Deleting on this device only ("delete for me"): a whole conversation, or
 * some of its messages. The API (conversation-api.ts, message-api.ts) and
 * our other devices' sync (sync/apply-sync.ts) stage the same writes, so a
 * deletion looks the same wherever it was made.
 */
import { fromHex } from '../../bytes.ts';
import { expiryKeyOf } from '../disappearing/countdown.ts';
import { withNewestPreview } from '../disappearing/expiry.ts';
import { dropHeldReceipts } from '../inbox/receipts.ts';
import type { Batch } from '../store/batch.ts';
import { Keys } from '../store/storage-keys.ts';
import {
  groupHexOf,
  MessageState,
  peerOf,
  readConversation,
  stageConversation,
} from './conversations.ts';
import { decodeMessage, findMessage, stageMessageDeletion } from './messages.ts';

/**
 * Deletes a conversation with its messages and draft (a group stays a group
 * record: leaving is a separate, signed step). False when there was none.
 */
export async function stageConversationDeletion(
  batch: Batch,
  conversationId: string,
): Promise<boolean> {
  const conversation = await readConversation(batch, conversationId);
  if (conversation === undefined) return false;
  for (const [key, raw] of await batch.records.list(Keys.messagesOf(conversationId))) {
    const m = decodeMessage(raw);
    const expiryKey = expiryKeyOf(m);
    stageMessageDeletion(batch, {
      key,
      author: m.author,
      id: m.id,
      ...(expiryKey === undefined ? {} : { expiryKey }),
    });
  }
  batch.delete(Keys.conversation(conversationId));
  batch.delete(Keys.draft(conversationId));
  // A deleted request leaves nothing behind for a later accept to reveal.
  const peer = peerOf(conversationId);
  if (peer !== undefined) await dropHeldReceipts(batch, { user: peer });
  const hex = groupHexOf(conversationId);
  if (hex !== undefined) await dropHeldReceipts(batch, { group: fromHex(hex) });
  return true;
}

/** A message as sync and the API name it: its author and id. */
export interface MessageRef {
  readonly author: string;
  readonly id: Uint8Array;
}

/**
 * Deletes the named messages of one conversation (others, and ids not found,
 * are skipped); the preview and unread count follow. Returns the refs deleted.
 */
export async function stageMessagesDeletion(
  batch: Batch,
  conversationId: string,
  refs: readonly MessageRef[],
): Promise<MessageRef[]> {
  const conversation = await readConversation(batch, conversationId);
  if (conversation === undefined) return [];
  const deleted = new Set<string>();
  const done: MessageRef[] = [];
  let unread = conversation.unread;
  for (const ref of refs) {
    const found = await findMessage(batch, ref.author, ref.id);
    if (found === undefined || found.message.conv !== conversationId) continue;
    const m = found.message;
    if (deleted.has(found.key)) continue;
    const expiryKey = expiryKeyOf(m);
    stageMessageDeletion(batch, {
      key: found.key,
      author: m.author,
      id: m.id,
      ...(expiryKey === undefined ? {} : { expiryKey }),
    });
    if (!m.outgoing && m.kind === 'text' && m.state === MessageState.RECEIVED) unread--;
    deleted.add(found.key);
    done.push(ref);
  }
  if (done.length === 0) return done;
  let next = { ...conversation, unread: Math.max(0, unread) };
  if (next.last !== undefined && deleted.has(next.last.key)) {
    next = await withNewestPreview(batch, next, deleted);
  }
  stageConversation(batch, next);
  return done;
}
