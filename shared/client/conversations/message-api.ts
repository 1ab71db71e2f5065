/**
 * The message part of the client API (createClient exposes these): page
 * through a conversation, send a text, mark read, count unread, delete some
 * messages here ("for me", synced to our other devices). Every change is one
 * transaction on the client host (host.ts), then its events.
 */
import { type Bytes, fromHex } from '../../bytes.ts';
import { ErrorCode, fail } from '../../errors.ts';
import { readGroup } from '../groups/store.ts';
import type { ClientHost } from '../host.ts';
import { stagePendingReceipt } from '../inbox/receipts.ts';
import { ReceiptKind, SYNC_MAX_MESSAGES, type SyncPayload } from '../sessions/content.ts';
import type { SessionContext } from '../sessions/sessions.ts';
import type { Batch } from '../store/batch.ts';
import { Keys } from '../store/storage-keys.ts';
import { type MessagePageView, type MessageView, messageView } from '../views.ts';
import { groupHexOf, listConversations, readConversation } from './conversations.ts';
import { type MessageRef, stageMessagesDeletion } from './deletion.ts';
import { decodeMessage, listMessagePage, markReadUpTo } from './messages.ts';
import { stageOutgoingText, type TextInput, textTarget } from './outgoing-text.ts';

export interface MessageApiHost
  extends Pick<ClientHost, 'records' | 'transact' | 'now' | 'random' | 'stamps' | 'events'> {
  requireSessions(): SessionContext;
  /** The account is loaded and the vault unlocked (receipts can be encrypted). */
  hasSessions(): boolean;
  /** Lets the outbox send what was queued. */
  pump(): void;
  /** Read receipts were queued (or released): encrypt and send them. */
  scheduleReceipts(): void;
  /** A disappearing message appeared or changed: re-arm the expiry timer. */
  refreshExpiry(): void;
  /** Queues a sync for our other devices in `batch`. */
  stageSync(batch: Batch, payload: SyncPayload): Promise<void>;
}

export function createMessageApi(host: MessageApiHost) {
  const { records, transact, now, random, stamps, events } = host;

  async function getMessages(input: {
    readonly conversationId: string;
    readonly before?: string;
    readonly limit: number;
  }): Promise<MessagePageView> {
    const page = await listMessagePage(records, input.conversationId, {
      limit: input.limit,
      ...(input.before === undefined ? {} : { before: input.before }),
    });
    return { messages: page.messages.map(messageView), before: page.before };
  }

  /** Marks incoming messages up to `upTo` (a message key; default all) read; queues read receipts. */
  async function markRead(input: {
    readonly conversationId: string;
    readonly upTo?: string;
  }): Promise<number> {
    const changed = await transact(async (batch) => {
      const conversation = await readConversation(batch, input.conversationId);
      if (conversation === undefined) fail(ErrorCode.NOT_FOUND, 'No such conversation');
      const hex = groupHexOf(conversation.id);
      const group = hex === undefined ? undefined : await readGroup(batch, fromHex(hex));
      const read = await markReadUpTo(batch, conversation, input.upTo, now());
      for (const m of read) {
        if (m.kind === 'text') {
          stagePendingReceipt(batch, ReceiptKind.READ, m.author, m.id, now(), group?.id);
        }
      }
      return read;
    });
    for (const m of changed) events.emit('message-state', messageView(m));
    events.emit('conversation', { conversationId: input.conversationId });
    if (changed.some((m) => m.expiresAt !== undefined)) host.refreshExpiry();
    if (changed.length > 0 && host.hasSessions()) host.scheduleReceipts();
    return changed.length;
  }

  async function unreadTotal(): Promise<number> {
    let total = 0;
    for (const c of await listConversations(records)) total += c.unread;
    return total;
  }

  /**
   * Stores the message and queues it (one write, outgoing-text.ts), then lets
   * the outbox send it. Direct chats: throws IDENTITY_CHANGED while the
   * contact's key change is not acknowledged. Groups: GROUP_NOT_MEMBER after
   * leaving or removal. The conversation's disappearing-message timer goes
   * with the message and our copy's countdown starts now.
   */
  async function sendText(input: TextInput): Promise<MessageView> {
    const ctx = host.requireSessions();
    const target = textTarget(input);
    const message = await transact(async (batch) => {
      const record = await stageOutgoingText(
        { now, random, stamps },
        ctx.account,
        batch,
        input,
        target,
      );
      return record;
    });
    const view = messageView(message);
    events.emit('message', view);
    events.emit('conversation', { conversationId: message.conv });
    if (message.expiresAt !== undefined) host.refreshExpiry();
    host.pump();
    // Replying to a request (or writing in a group we were added to) released held receipts.
    host.scheduleReceipts();
    return view;
  }

  /**
   * Deletes messages of one conversation from this device and our other
   * devices (not from the peer's): `keys` are MessageView keys; keys of other
   * conversations and messages already gone are skipped. Returns how many
   * were deleted. Errors: BAD_ARGUMENT (more than SYNC_MAX_MESSAGES keys).
   */
  async function deleteMessages(input: {
    readonly conversationId: string;
    readonly keys: readonly string[];
  }): Promise<number> {
    const { conversationId, keys } = input;
    if (keys.length > SYNC_MAX_MESSAGES)
      fail(ErrorCode.BAD_ARGUMENT, `At most ${SYNC_MAX_MESSAGES} messages at once`);
    const prefix = Keys.messagesOf(conversationId);
    const deleted = await transact(async (batch) => {
      const refs: MessageRef[] = [];
      for (const key of keys) {
        const raw = key.startsWith(prefix) ? await batch.get(key) : undefined;
        if (raw === undefined) continue;
        const m = decodeMessage(raw);
        refs.push({ author: m.author, id: m.id });
      }
      const done = await stageMessagesDeletion(batch, conversationId, refs);
      if (done.length > 0) {
        const m = done.map((r) => ({ a: r.author, id: r.id as Bytes }));
        await host.stageSync(batch, { k: 'delete-messages', c: conversationId, m });
      }
      return done.length;
    });
    if (deleted === 0) return 0;
    events.emit('conversation', { conversationId });
    host.refreshExpiry();
    host.pump();
    return deleted;
  }

  return { getMessages, sendText, markRead, unreadTotal, deleteMessages };
}
