/**
 * The client core's data as pages see it: conversation summaries with what
 * only the worker knows (who is typing, presence, a group preview's author),
 * message pages with sender handles, group and contact pages. Handles come
 * from the client core every time (its contact records and group member
 * lists hold them); the worker keeps no copy of its own.
 *
 * Runs in: the service worker and Node (tests).
 */
import type {
  ConversationView as CoreConversation,
  MessageView as CoreMessage,
} from '../../../shared/client/client.ts';
import type { ParleyClient } from '../../../shared/client/parley-client.ts';
import { ErrorCode, ParleyError } from '../../../shared/errors.ts';
import { ExtErrorCode, extError } from '../../lib/errors.ts';
import type {
  ContactView,
  ConversationSummary,
  GroupView,
  MessagePage,
  MessageView,
  PresenceView,
} from '../../lib/protocol.ts';
import { TypingBoard } from './typing-board.ts';
import {
  messageIdOf,
  messageKeyFromId,
  type Names,
  type SummaryExtras,
  shortName,
  sortSummaries,
  toContactView,
  toGroupView,
  toMessageView,
  toSummary,
} from './views.ts';

/**
 * Runs `run`; the client's NOT_FOUND there means the conversation the page
 * named does not exist (any more).
 */
export async function inConversation<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof ParleyError && e.code === ErrorCode.NOT_FOUND)
      throw extError(ExtErrorCode.CONVERSATION_NOT_FOUND, 'No such conversation');
    throw e;
  }
}

export class ChatViews {
  readonly #client: ParleyClient;
  /** Who is typing where (memory only; fed by the client's typing events). */
  readonly typing = new TypingBoard();

  constructor(client: ParleyClient) {
    this.#client = client;
  }

  /**
   * How to name `users` in `conversationId`: from the group's member list
   * (one read for all) or the direct chat's title, then, for anyone not found
   * there (a member who left), from the contact record. Unknown users show
   * their short id.
   */
  async names(
    conversationId: string,
    users: readonly string[],
    conversation?: CoreConversation,
  ): Promise<Names> {
    const client = this.#client;
    const account = client.account();
    const known = new Map<string, string>();
    const wanted = [...new Set(users)].filter((u) => u !== account?.userId);
    if (wanted.length > 0 && conversationId.startsWith('g:')) {
      const group = await client.getGroup(conversationId).catch(() => undefined);
      for (const m of group?.members ?? []) if (m.handle !== null) known.set(m.userId, m.handle);
    } else if (wanted.length > 0) {
      const c =
        conversation ?? (await client.getConversation(conversationId).catch(() => undefined));
      if (c?.peer !== undefined && c.title !== shortName(c.peer)) known.set(c.peer, c.title);
    }
    for (const user of wanted.filter((u) => !known.has(u))) {
      const contact = await client.getContact(user).catch(() => undefined);
      if (contact?.handle !== null && contact?.handle !== undefined)
        known.set(user, contact.handle);
    }
    return {
      selfId: account?.userId ?? '',
      own: account?.handle ?? 'you',
      handleOf: (userId) =>
        userId === account?.userId ? account.handle : (known.get(userId) ?? shortName(userId)),
    };
  }

  async handleOf(conversationId: string, userId: string): Promise<string> {
    return (await this.names(conversationId, [userId])).handleOf(userId);
  }

  async conversations(): Promise<ConversationSummary[]> {
    const views = await this.#client.listConversations();
    return sortSummaries(await Promise.all(views.map((c) => this.summary(c))));
  }

  /** The client core's summary plus what only the worker knows: typing, presence, last sender. */
  async summary(c: CoreConversation): Promise<ConversationSummary> {
    const extras: { -readonly [K in keyof SummaryExtras]: SummaryExtras[K] } = {
      typing: this.typing.handles(c.id),
    };
    if (c.kind === 'direct' && c.peer !== undefined && !c.isRequest && c.blocked !== true) {
      extras.presence = await this.presence(c.peer);
    }
    const last = c.lastMessage;
    if (c.kind === 'group' && last !== null && !last.outgoing && last.kind === 'text') {
      const sender = await this.#lastSender(c.id, last.key);
      if (sender !== undefined) extras.lastSender = sender;
    }
    return toSummary(c, extras);
  }

  async summaryOf(conversationId: string): Promise<ConversationSummary> {
    return this.summary(await inConversation(() => this.#client.getConversation(conversationId)));
  }

  async presence(userId: string): Promise<PresenceView> {
    try {
      const p = await this.#client.getPresence(userId);
      return { online: p.online, lastSeen: p.lastSeen };
    } catch {
      return { online: false, lastSeen: null };
    }
  }

  /** Who wrote the message a group's preview shows (the newest one: one record read). */
  async #lastSender(conversationId: string, key: string): Promise<string | undefined> {
    const page = await this.#client.getMessages({ conversationId, limit: 1 });
    const newest = page.messages[0];
    if (newest === undefined || newest.key !== key) return undefined;
    return this.handleOf(conversationId, newest.author);
  }

  async messages(input: {
    conversationId: string;
    before?: string;
    limit: number;
  }): Promise<MessagePage> {
    const { conversationId } = input;
    const conversation = await inConversation(() => this.#client.getConversation(conversationId));
    const page = await this.#client.getMessages({
      conversationId,
      limit: input.limit,
      ...(input.before === undefined
        ? {}
        : { before: messageKeyFromId(input.before, conversationId) }),
    });
    const authors = page.messages.filter((m) => !m.outgoing && m.kind === 'text');
    const names = await this.names(
      conversationId,
      authors.map((m) => m.author),
      conversation,
    );
    return {
      messages: page.messages.map((m) => toMessageView(m, names)),
      before: page.before === null ? null : messageIdOf(page.before, conversationId),
    };
  }

  async message(m: CoreMessage): Promise<MessageView> {
    const authors = m.outgoing ? [] : [m.author];
    return toMessageView(m, await this.names(m.conversationId, authors));
  }

  async group(conversationId: string): Promise<GroupView> {
    const group = await inConversation(() => this.#client.getGroup(conversationId));
    const unknown = group.members.filter((m) => m.handle === null).map((m) => m.userId);
    return toGroupView(group, await this.names(conversationId, [...unknown, group.addedBy]));
  }

  async contact(conversationId: string): Promise<ContactView> {
    const conversation = await inConversation(() => this.#client.getConversation(conversationId));
    if (conversation.peer === undefined)
      throw extError(ExtErrorCode.CONVERSATION_NOT_FOUND, 'Not a direct conversation');
    const contact = await this.#client.getContact(conversation.peer);
    return toContactView(
      contact,
      contact.status === 'accepted' ? await this.presence(contact.userId) : null,
    );
  }
}
