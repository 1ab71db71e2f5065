/**
 * The client core's views (shared/client/client.ts) turned into what pages
 * see (lib/protocol.ts). Pure: no storage, no browser.
 *
 * Message ids: the core sorts a conversation by record key
 * `msg/<conversation>/<stamp>/<id>`. Pages get `<stamp>.<id>` as a message's
 * id: unique, sortable in local arrival order, free of `/` (page-supplied ids
 * never contain one, see lib/schemas.ts) and enough to rebuild the key for
 * `markRead` and the paging cursor inside the conversation's own namespace.
 *
 * Runs in: the service worker and Node (tests).
 */
import { toBase64Url } from '../../../shared/bytes.ts';
import type {
  ContactView as CoreContact,
  ConversationView as CoreConversation,
  MessageView as CoreMessage,
} from '../../../shared/client/client.ts';
import { ErrorCode, ParleyError } from '../../../shared/errors.ts';
import type { ContactView, ConversationSummary, MessageView } from '../../lib/protocol.ts';

const MESSAGE_ID = /^(\d{16})\.([0-9a-f]{32})$/;

/** `msg/<conv>/<stamp>/<id>` → `<stamp>.<id>`. */
export function messageIdOf(key: string, conversationId: string): string {
  const prefix = `msg/${conversationId}/`;
  if (!key.startsWith(prefix)) {
    throw new ParleyError(ErrorCode.STATE_CORRUPT, 'Message key outside its conversation');
  }
  return key.slice(prefix.length).replace('/', '.');
}

/** `<stamp>.<id>` (from a page) → the record key inside `conversationId`. */
export function messageKeyFromId(id: string, conversationId: string): string {
  const match = MESSAGE_ID.exec(id);
  if (match === null)
    throw new ParleyError(ErrorCode.BAD_ARGUMENT, 'Not a message id', { field: 'id' });
  return `msg/${conversationId}/${match[1]}/${match[2]}`;
}

export function toMessageView(
  m: CoreMessage,
  names: { readonly own: string; readonly peer: string },
): MessageView {
  return {
    id: messageIdOf(m.key, m.conversationId),
    conversationId: m.conversationId,
    outgoing: m.outgoing,
    senderHandle: m.outgoing ? names.own : names.peer,
    kind: m.kind,
    text: m.text,
    sentAt: m.kind === 'system' ? m.receivedAt : m.sentAt,
    state: m.state,
    ...(m.expiresAt === undefined ? {} : { expiresAt: m.expiresAt }),
  };
}

export function toSummary(c: CoreConversation): ConversationSummary {
  return {
    id: c.id,
    kind: c.kind,
    title: c.title,
    unread: c.unread,
    lastMessage:
      c.lastMessage === null
        ? null
        : {
            text: c.lastMessage.text,
            at: c.lastMessage.at,
            outgoing: c.lastMessage.outgoing,
            state: c.lastMessage.state,
          },
    updatedAt: c.updatedAt,
    verified: c.verified,
    identityChanged: c.identityChanged,
    ...(c.isRequest ? { isRequest: true } : {}),
  };
}

/** Most recent activity first (the core lists by key). */
export function sortSummaries(list: readonly ConversationSummary[]): ConversationSummary[] {
  return [...list].sort((a, b) => b.updatedAt - a.updatedAt || (a.id < b.id ? -1 : 1));
}

export function toContactView(c: CoreContact): ContactView {
  if (c.safetyNumber === null) {
    throw new ParleyError(
      ErrorCode.NOT_FOUND,
      "This contact's keys are not known yet, so there is no safety number",
    );
  }
  return {
    userId: c.userId,
    handle: c.handle ?? c.userId.slice(0, 8),
    conversationId: c.conversationId,
    safetyNumber: {
      groups: [...c.safetyNumber.groups],
      qrPayload: toBase64Url(c.safetyNumber.scannable),
    },
    verified: c.verified,
    identityChange: c.identityChange,
  };
}
