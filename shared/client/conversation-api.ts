/**
 * The conversation part of the client API (createClient exposes these): find
 * a user and open a chat, read and page messages, send text, set the
 * disappearing-message timer, mark read, delete a conversation. Every change
 * is one transaction on the client host (host.ts), then its events.
 */
import { fromHex } from '../bytes.ts';
import { ErrorCode, fail, isParleyError } from '../errors.ts';
import { normalizeHandle } from '../wire/handle.ts';
import { ContactStatus, contactOp, newContact, publicIdentityOf, readContact } from './contacts.ts';
import { encodeContent, ReceiptKind } from './content.ts';
import {
  type Conversation,
  ensureDirectConversation,
  groupHexOf,
  listConversations,
  peerOf,
  readConversation,
} from './conversations.ts';
import type { InboxEffect } from './effects.ts';
import type { GroupApi } from './group-api.ts';
import { isTimerOption, type TIMER_OPTIONS_MS } from './groups/state.ts';
import { readGroup } from './groups/store.ts';
import type { ClientHost } from './host.ts';
import { decodeMessage, listMessagePage, markReadUpTo, stageMessageDeletion } from './messages.ts';
import { newOutboxEntry, type OutboxEntry, OutboxKind, stageEntry } from './outbox.ts';
import { stageOutgoingText, type TextInput, textTarget } from './outgoing-text.ts';
import { dropHeldReceipts, stagePendingReceipt } from './receipts.ts';
import type { RelayApi } from './relay-api.ts';
import { checkIdentity, type SessionContext } from './sessions.ts';
import { Keys } from './storage-keys.ts';
import { stageTimer } from './timer.ts';
import {
  type ConversationView,
  type MessagePageView,
  type MessageView,
  messageView,
} from './views.ts';

export interface ConversationApiHost
  extends Pick<ClientHost, 'records' | 'transact' | 'now' | 'random' | 'stamps' | 'events'> {
  requireSessions(): SessionContext;
  requireApi(): RelayApi;
  /** The account is loaded and the vault unlocked (receipts can be encrypted). */
  hasSessions(): boolean;
  viewConversation(conversation: Conversation): Promise<ConversationView>;
  readonly groups: Pick<GroupApi, 'setGroupTimer' | 'isActiveMember' | 'leaveGroup'>;
  emit(effects: readonly InboxEffect[]): void;
  /** Lets the outbox send what was queued. */
  pump(): void;
  /** Read receipts were queued (or released): encrypt and send them. */
  scheduleReceipts(): void;
  /** A disappearing message appeared or changed: re-arm the expiry timer. */
  refreshExpiry(): void;
}

export function createConversationApi(host: ConversationApiHost) {
  const { records, transact, now, random, stamps, events } = host;

  async function getConversation(conversationId: string): Promise<ConversationView> {
    const c = await readConversation(records, conversationId);
    if (c === undefined) fail(ErrorCode.NOT_FOUND, 'No such conversation');
    return host.viewConversation(c);
  }

  /** The relay's answer for a handle; HANDLE_NOT_FOUND (with the handle) when nobody has it. */
  async function lookupHandle(handle: string): Promise<{ user: string; handle: string }> {
    const canonical = normalizeHandle(handle);
    try {
      return await host.requireApi().lookupHandle(canonical);
    } catch (e) {
      if (isParleyError(e, ErrorCode.NOT_FOUND))
        fail(ErrorCode.HANDLE_NOT_FOUND, 'No user with that handle', { handle: canonical });
      throw e;
    }
  }

  /**
   * Finds the user by handle and opens (or returns) the direct conversation; records their
   * identity. HANDLE_NOT_FOUND when nobody has the handle, OWN_HANDLE when it is ours.
   */
  async function startConversation(handle: string): Promise<ConversationView> {
    const ctx = host.requireSessions();
    const found = await lookupHandle(handle);
    if (found.user === ctx.account.userId) fail(ErrorCode.OWN_HANDLE, 'That is your own handle');
    const directory = await ctx.api.deviceList(found.user);
    const conversation = await transact(async (batch) => {
      const contact =
        (await readContact(batch, found.user)) ??
        newContact(found.user, ContactStatus.ACCEPTED, now());
      batch.apply(
        contactOp({
          ...contact,
          handle: found.handle,
          status:
            contact.status === ContactStatus.BLOCKED ? contact.status : ContactStatus.ACCEPTED,
        }),
      );
      await checkIdentity(
        ctx,
        batch,
        found.user,
        publicIdentityOf(directory.identity),
        ContactStatus.ACCEPTED,
      );
      const c = await ensureDirectConversation(batch, found.user, now());
      return c;
    });
    events.emit('conversation', { conversationId: conversation.id });
    events.emit('contact', { userId: found.user });
    return host.viewConversation(conversation);
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

  // -------------------------------------------------------------------------
  // Disappearing messages

  /**
   * Sets a conversation's disappearing-message timer: either side of a direct
   * chat (sent to the peer and our other devices), admins of a group (a signed
   * group state). Shown as a notice in every timeline.
   */
  async function setTimer(input: {
    readonly conversationId: string;
    readonly timer: number;
  }): Promise<void> {
    if (!isTimerOption(input.timer)) {
      fail(ErrorCode.BAD_ARGUMENT, 'The timer must be one of TIMER_OPTIONS_MS');
    }
    if (groupHexOf(input.conversationId) !== undefined) {
      await host.groups.setGroupTimer(input.conversationId, input.timer);
      return;
    }
    const peer = peerOf(input.conversationId);
    if (peer === undefined) fail(ErrorCode.BAD_ARGUMENT, 'Not a conversation id');
    const ctx = host.requireSessions();
    const effects = await transact(async (batch) => {
      const conversation = await readConversation(batch, input.conversationId);
      if (conversation === undefined) fail(ErrorCode.NOT_FOUND, 'No such conversation');
      const at = Math.max(now(), (conversation.timerAt ?? 0) + 1);
      const out = await stageTimer(
        { sessions: ctx, stamps },
        batch,
        conversation,
        input.timer,
        at,
        ctx.account.userId,
      );
      stageEntry(
        batch,
        newOutboxEntry({
          id: random(16) as OutboxEntry['id'],
          stamp: await stamps.next(batch),
          kind: OutboxKind.TIMER,
          conv: conversation.id,
          content: encodeContent({
            v: 1,
            t: 'timer',
            to: { u: peer },
            timer: input.timer as (typeof TIMER_OPTIONS_MS)[number],
            at,
          }),
          recipients: [peer, ctx.account.userId],
          createdAt: now(),
        }),
      );
      return out;
    });
    host.emit(effects);
    host.pump();
  }

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

  // -------------------------------------------------------------------------
  // Deleting

  /**
   * Deletes a conversation and its messages from this device. A request stays
   * a request (a new message from them shows up as a request again). A group
   * is left first (an owner must transfer ownership before: GROUP_FORBIDDEN).
   */
  async function deleteConversation(conversationId: string): Promise<void> {
    const hex = groupHexOf(conversationId);
    if (hex !== undefined && (await host.groups.isActiveMember(conversationId))) {
      await host.groups.leaveGroup(conversationId);
    }
    await transact(async (batch) => {
      const conversation = await readConversation(batch, conversationId);
      if (conversation === undefined) fail(ErrorCode.NOT_FOUND, 'No such conversation');
      for (const [key, raw] of await records.list(Keys.messagesOf(conversationId))) {
        const m = decodeMessage(raw);
        stageMessageDeletion(batch, {
          key,
          author: m.author,
          id: m.id,
          ...(m.expiresAt === undefined
            ? {}
            : { expiryKey: Keys.expiry(m.expiresAt, m.author, key) }),
        });
      }
      batch.delete(Keys.conversation(conversationId));
      // A deleted request leaves nothing behind for a later accept to reveal.
      const peer = peerOf(conversationId);
      if (peer !== undefined) await dropHeldReceipts(batch, { user: peer });
      if (hex !== undefined) await dropHeldReceipts(batch, { group: fromHex(hex) });
    });
    events.emit('conversation', { conversationId });
    host.refreshExpiry();
  }

  return {
    lookupHandle,
    startConversation,
    listConversations: async (): Promise<ConversationView[]> =>
      Promise.all((await listConversations(records)).map(host.viewConversation)),
    getConversation,
    getMessages,
    sendText,
    markRead,
    unreadTotal,
    deleteConversation,
    setTimer,
  };
}

export type ConversationApi = ReturnType<typeof createConversationApi>;
