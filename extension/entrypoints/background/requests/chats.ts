/**
 * Conversations and messages, message requests and blocking.
 *
 * Runs in: the service worker and Node (tests).
 */
import * as v from 'valibot';
import type { ConversationSummary, MessageView } from '../../../lib/protocol.ts';
import { inConversation } from '../chat-views.ts';
import { messageKeyFromId } from '../views.ts';
import {
  attachments,
  caption,
  cursor,
  draftText,
  handle,
  id,
  messageText,
  none,
  pageLimit,
  timer,
} from './fields.ts';
import { request } from './row.ts';

const inChat = v.strictObject({ conversationId: id });
const ofUser = v.strictObject({ userId: id });

export const chatRequests = {
  listConversations: request({
    input: none,
    unlocked: true,
    run: ({ views }): Promise<readonly ConversationSummary[]> => views.conversations(),
  }),

  /**
   * Errors: HANDLE_NOT_FOUND (with the handle), OWN_HANDLE, RELAY_UNREACHABLE: the client
   * core's own codes. Returns the existing conversation if there is one.
   */
  startConversation: request({
    input: v.strictObject({ handle }),
    unlocked: true,
    run: async ({ client, views }, input): Promise<ConversationSummary> =>
      views.summary(await client.startConversation(input.handle)),
  }),

  getMessages: request({
    input: v.strictObject({
      conversationId: id,
      before: v.exactOptional(cursor),
      limit: pageLimit,
    }),
    unlocked: true,
    run: ({ views }, input) => views.messages(input),
  }),

  /**
   * Stored in the outbox first, then sent. With `attachments` (uploaded by the
   * page already) `text` is their caption and may be empty; a group gets the
   * pointers once, in the one group message. Errors: IDENTITY_CHANGED (until
   * acknowledged), CONTACT_BLOCKED, GROUP_NOT_MEMBER.
   */
  sendText: request({
    input: v.pipe(
      v.strictObject({
        conversationId: id,
        text: caption,
        attachments: v.exactOptional(attachments),
      }),
      v.forward(
        v.check(
          (m) => m.attachments !== undefined || v.is(messageText, m.text),
          'must not be empty',
        ),
        ['text'],
      ),
    ),
    unlocked: true,
    run: async ({ client, views, shell }, input): Promise<MessageView> => {
      await shell.touch();
      const sent = await inConversation(() => client.sendText(input));
      // What was sent is no longer a draft (the page may close before it says so).
      await client.saveDraft({ conversationId: input.conversationId, text: '' });
      return views.message(sent);
    },
  }),

  /** The composer's unsent text in a conversation ("" when none). */
  getDraft: request({
    input: inChat,
    unlocked: true,
    run: ({ client }, { conversationId }): Promise<string> =>
      inConversation(() => client.getDraft(conversationId)),
  }),

  /** Keeps the composer's text as the conversation's draft (sealed; blank drops it). */
  saveDraft: request({
    input: v.strictObject({ conversationId: id, text: draftText }),
    unlocked: true,
    run: async ({ client }, input): Promise<null> => {
      await inConversation(() => client.saveDraft(input));
      return null;
    },
  }),

  /** Marks read here and, if read receipts are on, tells the sender. */
  markRead: request({
    input: v.strictObject({ conversationId: id, upTo: id }),
    unlocked: true,
    run: async ({ client, clearNotification }, { conversationId, upTo }): Promise<null> => {
      const key = messageKeyFromId(upTo, conversationId);
      await inConversation(() => client.markRead({ conversationId, upTo: key }));
      clearNotification(conversationId);
      return null;
    },
  }),

  /** The composer's text changed (true) or was sent/left (false); the client core throttles. */
  sendTyping: request({
    input: v.strictObject({ conversationId: id, typing: v.boolean() }),
    unlocked: true,
    run: async ({ client }, input): Promise<null> => {
      await inConversation(() => client.sendTyping(input));
      return null;
    },
  }),

  /** Disappearing messages: either side of a direct chat, admins of a group. */
  setTimer: request({
    input: v.strictObject({ conversationId: id, timerMs: timer }),
    unlocked: true,
    run: async ({ client, views }, { conversationId, timerMs }) => {
      await inConversation(() => client.setTimer({ conversationId, timer: timerMs }));
      return views.summaryOf(conversationId);
    },
  }),

  /** Deletes the conversation and its messages here (a group is left first). */
  deleteConversation: request({
    input: inChat,
    unlocked: true,
    run: async ({ client, views, clearNotification }, { conversationId }): Promise<null> => {
      await inConversation(() => client.deleteConversation(conversationId));
      views.typing.clear(conversationId);
      clearNotification(conversationId);
      return null;
    },
  }),

  /** Accepts a message request (direct) or a group we were added to. */
  acceptRequest: request({
    input: inChat,
    unlocked: true,
    run: async ({ client, views }, { conversationId }) => {
      const c = await inConversation(() => client.getConversation(conversationId));
      if (c.kind === 'group') await client.acceptGroup(c.id);
      else if (c.peer !== undefined) await client.acceptRequest(c.peer);
      return views.summaryOf(c.id);
    },
  }),

  /** The relay is told first; a failure changes nothing. */
  blockContact: request({
    input: ofUser,
    unlocked: true,
    run: async ({ client }, { userId }): Promise<null> => {
      await client.blockContact(userId);
      return null;
    },
  }),

  unblockContact: request({
    input: ofUser,
    unlocked: true,
    run: async ({ client }, { userId }): Promise<null> => {
      await client.unblockContact(userId);
      return null;
    },
  }),
};
