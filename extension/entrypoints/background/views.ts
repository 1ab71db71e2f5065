/**
 * The client core's views (shared/client/client.ts) turned into what pages
 * see (lib/protocol.ts). Pure: no storage, no browser.
 *
 * Message ids: the core sorts a conversation by record key
 * `msg/<conversation>/<stamp>/<id>`. Pages get `<stamp>.<id>` as a message's
 * id: unique, sortable in local arrival order, free of `/` (page-supplied ids
 * never contain one, see requests/fields.ts) and enough to rebuild the key for
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
import type { GroupView as CoreGroup } from '../../../shared/client/groups/group-api.ts';
import { ErrorCode, ParleyError } from '../../../shared/errors.ts';
import type {
  ContactView,
  ConversationSummary,
  GroupRole,
  GroupView,
  MessageView,
  PresenceView,
} from '../../lib/protocol.ts';

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

/** How a view names people: our own handle, and anyone else's by user id. */
export interface Names {
  /** Our user id and handle. */
  readonly selfId: string;
  readonly own: string;
  handleOf(userId: string): string;
}

/** What a user id shows as while its handle is unknown (as the client core's titles). */
export function shortName(userId: string): string {
  return `user ${userId.slice(0, 8)}`;
}

export function toMessageView(m: CoreMessage, names: Names): MessageView {
  return {
    id: messageIdOf(m.key, m.conversationId),
    conversationId: m.conversationId,
    outgoing: m.outgoing,
    senderHandle: m.outgoing ? names.own : names.handleOf(m.author),
    kind: m.kind,
    text: m.text,
    sentAt: m.kind === 'system' ? m.receivedAt : m.sentAt,
    state: m.state,
    ...(m.system === undefined ? {} : { system: m.system }),
    ...(m.expiresIn === undefined ? {} : { expiresIn: m.expiresIn }),
    ...(m.expiresAt === undefined ? {} : { expiresAt: m.expiresAt }),
    ...(m.receipts === undefined ? {} : { receipts: { ...m.receipts } }),
    ...(m.attachments === undefined ? {} : { attachments: m.attachments }),
  };
}

/** What the worker adds to the client core's summary: live state the core does not store. */
export interface SummaryExtras {
  /** Handles of people typing there now. */
  readonly typing?: readonly string[];
  readonly presence?: PresenceView;
  /** Groups: the author of the last (incoming) message. */
  readonly lastSender?: string;
}

export function toSummary(c: CoreConversation, extras: SummaryExtras = {}): ConversationSummary {
  const last = c.lastMessage;
  return {
    id: c.id,
    kind: c.kind,
    title: c.title,
    unread: c.unread,
    lastMessage:
      last === null
        ? null
        : {
            text: last.text,
            at: last.at,
            outgoing: last.outgoing,
            state: last.state,
            ...(last.kind === 'system' ? { kind: 'system' as const } : {}),
            ...(extras.lastSender === undefined ? {} : { senderHandle: extras.lastSender }),
          },
    updatedAt: c.updatedAt,
    verified: c.verified,
    identityChanged: c.identityChanged,
    ...(c.peer === undefined ? {} : { peerId: c.peer }),
    ...(c.isRequest ? { isRequest: true } : {}),
    ...(c.blocked === true ? { blocked: true } : {}),
    ...(c.timer === undefined || c.timer === 0 ? {} : { timerMs: c.timer }),
    ...(c.group === undefined
      ? {}
      : { group: { myRole: c.group.myRole, memberCount: c.group.members } }),
    ...(extras.typing === undefined || extras.typing.length === 0
      ? {}
      : { typing: [...extras.typing] }),
    ...(extras.presence === undefined ? {} : { presence: extras.presence }),
    ...(c.draft === undefined ? {} : { draft: c.draft }),
  };
}

/** Most recent activity first (the core lists by key). */
export function sortSummaries(list: readonly ConversationSummary[]): ConversationSummary[] {
  return [...list].sort((a, b) => b.updatedAt - a.updatedAt || (a.id < b.id ? -1 : 1));
}

export function toContactView(c: CoreContact, presence: PresenceView | null = null): ContactView {
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
    status: c.status,
    presence: c.status === 'accepted' ? presence : null,
  };
}

const ROLE_ORDER: Readonly<Record<GroupRole, number>> = { owner: 0, admin: 1, member: 2 };

/** A group as its page shows it: handles for ids, owner first, then admins, then members. */
export function toGroupView(g: CoreGroup, names: Names): GroupView {
  const members = g.members
    .map((m) => {
      const isSelf = m.userId === names.selfId;
      return {
        userId: m.userId,
        handle: isSelf ? names.own : (m.handle ?? names.handleOf(m.userId)),
        role: m.role,
        isSelf,
        canRemove: m.canRemove,
      };
    })
    .sort(
      (a, b) =>
        ROLE_ORDER[a.role] - ROLE_ORDER[b.role] ||
        Number(b.isSelf) - Number(a.isSelf) ||
        (a.handle < b.handle ? -1 : a.handle > b.handle ? 1 : 0),
    );
  return {
    conversationId: g.conversationId,
    name: g.name,
    timerMs: g.timer,
    members,
    myRole: g.myRole,
    accepted: g.accepted,
    addedBy: g.addedBy === names.selfId ? names.own : names.handleOf(g.addedBy),
    addedById: g.addedBy,
    can: { ...g.can },
  };
}
