/**
 * The shapes the client API hands out (createClient's results and events) and
 * how records become them: plain values with hex ids and no key material.
 */
import { fromHex, toBase64Url, toHex } from '../bytes.ts';
import type { Account } from './account/account.ts';
import type { Settings } from './account/settings.ts';
import {
  type Contact,
  ContactStatus,
  contactIdentity,
  readContact,
  type SafetyNumberView,
  safetyNumberFor,
} from './contacts/contacts.ts';
import {
  type Conversation,
  directConversationId,
  groupHexOf,
  type MessageState,
  PREVIEW_MAX_CHARS,
  previewText,
} from './conversations/conversations.ts';
import { draftPreview, readDraft } from './conversations/drafts.ts';
import { decodeMessage, type MessageRecord, messageKeyOf } from './conversations/messages.ts';
import { withNewestPreview } from './disappearing/expiry.ts';
import { joinedCount } from './groups/joined.ts';
import type { GroupRole } from './groups/state.ts';
import { readGroup } from './groups/store.ts';
import type { ConnectionStatus } from './relay/relay-connection.ts';
import { ATTACHMENT_FLAG_VOICE, type AttachmentPointer } from './sessions/content.ts';
import type { RecordStore } from './store/store.ts';

export interface AccountInfo {
  readonly userId: string;
  readonly handle: string;
  readonly deviceId: number;
  readonly relayUrl: string;
}

/**
 * A file a message carries, as the page that downloads and decrypts it needs
 * it: bytes as base64url. The key is the file's own random key (never an
 * identity, session or vault key), so handing it to an extension page is what
 * lets the page, not the worker, stream and decrypt the file.
 */
export interface AttachmentView {
  /** The relay's id (the download capability). */
  readonly id: string;
  readonly key: string;
  /** The blob's digest, checked while downloading, in the scheme `digestScheme` names (absent: 1). */
  readonly digest: string;
  readonly digestScheme?: number;
  /** Plaintext bytes. */
  readonly size: number;
  readonly mime: string;
  readonly name?: string;
  readonly width?: number;
  readonly height?: number;
  readonly durationMs?: number;
  readonly thumb?: string;
  /** Recorded as a voice note (shown as a player). */
  readonly voice: boolean;
}

export function attachmentView(p: AttachmentPointer): AttachmentView {
  return {
    id: toBase64Url(p.id),
    key: toBase64Url(p.key),
    digest: toBase64Url(p.digest),
    ...(p.digestScheme === undefined ? {} : { digestScheme: p.digestScheme }),
    size: p.size,
    mime: p.mime,
    ...(p.name === undefined ? {} : { name: p.name }),
    ...(p.width === undefined ? {} : { width: p.width }),
    ...(p.height === undefined ? {} : { height: p.height }),
    ...(p.durationMs === undefined ? {} : { durationMs: p.durationMs }),
    ...(p.thumb === undefined ? {} : { thumb: toBase64Url(p.thumb) }),
    voice: ((p.flags ?? 0) & ATTACHMENT_FLAG_VOICE) !== 0,
  };
}

export interface MessageView {
  /** 32 hex characters. */
  readonly id: string;
  /** Sort key; also the `before` cursor of the page it starts. */
  readonly key: string;
  readonly conversationId: string;
  readonly outgoing: boolean;
  readonly author: string;
  readonly authorDevice: number;
  readonly kind: 'text' | 'system';
  readonly system?: string;
  readonly text: string;
  readonly sentAt: number;
  readonly receivedAt: number;
  readonly state: MessageState;
  readonly error?: string;
  /** Disappearing-message timer this message carries (ms). */
  readonly expiresIn?: number;
  /** When it disappears (its countdown is running). */
  readonly expiresAt?: number;
  /** Our group messages: members that confirmed delivery / reading, out of `total`. */
  readonly receipts?: { readonly delivered: number; readonly read: number; readonly total: number };
  /** Files with this message (`text` is their caption). */
  readonly attachments?: readonly AttachmentView[];
}

export interface ConversationView {
  readonly id: string;
  readonly kind: 'direct' | 'group';
  /** Direct chats: the other user's id. */
  readonly peer?: string;
  /** The contact's handle (or a short id while unknown), or the group name. */
  readonly title: string;
  readonly unread: number;
  readonly lastMessage: {
    readonly key: string;
    readonly text: string;
    readonly at: number;
    readonly outgoing: boolean;
    readonly state: MessageState;
    readonly kind: 'text' | 'system';
  } | null;
  readonly updatedAt: number;
  readonly verified: boolean;
  readonly identityChanged: boolean;
  /**
   * A message request: a first message from someone unknown, or a group we
   * were added to by someone who is not an accepted contact. Accept, block or
   * delete; nothing (receipts, typing, presence) is sent before accepting.
   */
  readonly isRequest: boolean;
  /** The contact is blocked (direct chats). Always set by the client. */
  readonly blocked?: boolean;
  /** Disappearing-message timer (ms, 0 = off). Always set by the client. */
  readonly timer?: number;
  /** Groups: our role (null when we left or were removed) and how many members joined (invitees not counted). */
  readonly group?: { readonly myRole: GroupRole | null; readonly members: number };
  /** The composer's unsent text, one line, cut like the preview; absent when none. */
  readonly draft?: string;
}

export interface ContactView {
  readonly userId: string;
  readonly handle: string | null;
  readonly conversationId: string;
  readonly status: Contact['status'];
  readonly verified: boolean;
  readonly identityChange: { readonly changedAt: number } | null;
  /** Null until the contact's identity key is known. */
  readonly safetyNumber: SafetyNumberView | null;
}

export interface MessagePageView {
  /** Oldest first. */
  readonly messages: MessageView[];
  /** Pass as `before` for older messages; null at the start of history. */
  readonly before: string | null;
}

export interface ClientEvents {
  status: ConnectionStatus;
  /** A new message in a conversation (incoming, synced from our other device, sent here, or a system notice). */
  message: MessageView;
  /** An existing message changed state (stored, delivered, read, failed). */
  'message-state': MessageView;
  /** A conversation's summary changed (unread count, preview, new conversation). */
  conversation: { readonly conversationId: string };
  /** A contact changed: identity key, verified flag, handle, request status. */
  contact: { readonly userId: string };
  typing: { readonly conversationId: string; readonly userId: string; readonly typing: boolean };
  /** A delivery could not be decrypted (recorded, session reset requested). */
  undecryptable: { readonly userId: string; readonly deviceId: number; readonly code: string };
  /** The relay's backlog has been delivered (after each connect). */
  drained: { readonly at: number };
  /** A group's state changed (members, roles, name, timer): re-read getGroup. */
  group: { readonly conversationId: string };
  /** A group state update from `userId` was refused (code: GROUP_FORBIDDEN, GROUP_REPLAY, ...). */
  'group-rejected': {
    readonly conversationId: string;
    readonly userId: string;
    readonly code: string;
  };
  /** A contact's presence changed: re-read getPresence. */
  presence: { readonly userId: string };
  /**
   * Our own account's signed device list changed (a device was linked or
   * unlinked, here or on another of our devices): "A new device was linked:
   * <id>, <time>", with removal offered (docs/client.md, "Linked devices").
   */
  'devices-changed': {
    readonly version: number;
    readonly added: readonly {
      readonly deviceId: number;
      readonly addedAt: number;
      readonly addedBy: number;
    }[];
    readonly removed: readonly number[];
    readonly at: number;
  };
  /**
   * This device was removed from its account (the relay revoked it, or our
   * own list no longer names it): the host wipes local data and says so.
   */
  unlinked: { readonly at: number; readonly reason: 'revoked' | 'not-listed' };
  /**
   * The synced settings changed on another of our devices and apply here now
   * (docs/client.md, "Own-device sync"); a host that keeps the settings
   * itself (useHostSettings) stores these.
   */
  settings: Settings;
  /** Disappearing messages were deleted (their countdown ran out). */
  expired: {
    readonly conversationId: string;
    readonly ids: readonly string[];
    readonly keys: readonly string[];
  };
  /** The next disappearing-message deadline changed (null: none): set an alarm for it. */
  expiry: { readonly next: number | null };
}

/** A message record as the API shows it (hex id, sort key, receipt counts). */
export function messageView(m: MessageRecord): MessageView {
  return {
    id: toHex(m.id),
    key: messageKeyOf(m),
    conversationId: m.conv,
    outgoing: m.outgoing,
    author: m.author,
    authorDevice: m.authorDevice,
    kind: m.kind,
    ...(m.system === undefined ? {} : { system: m.system }),
    text: m.text,
    sentAt: m.sentAt,
    receivedAt: m.receivedAt,
    state: m.state,
    ...(m.error === undefined ? {} : { error: m.error }),
    ...(m.expiresIn === undefined ? {} : { expiresIn: m.expiresIn }),
    ...(m.expiresAt === undefined ? {} : { expiresAt: m.expiresAt }),
    ...(m.of === undefined
      ? {}
      : {
          receipts: {
            delivered: m.dlv?.length ?? 0,
            read: m.rd?.length ?? 0,
            total: m.of,
          },
        }),
    ...(m.att === undefined ? {} : { attachments: m.att.map(attachmentView) }),
  };
}

function shortId(user: string): string {
  return `user ${user.slice(0, 8)}`;
}

/** The preview as shown: a disappearing message's text comes from its record (or it is gone). */
async function shownPreview(records: RecordStore, c: Conversation): Promise<Conversation['last']> {
  const last = c.last;
  if (last?.exp !== true) return last;
  const raw = await records.get(last.key);
  if (raw !== undefined) return { ...last, text: previewText(decodeMessage(raw).text) };
  // Expired while locked: the preview still names it; show the newest remaining one.
  return (await withNewestPreview({ records }, c, new Set([last.key]))).last;
}

/** A conversation as the API shows it; `ownUser` is our user id (undefined before an account is loaded). */
export async function conversationView(
  records: RecordStore,
  ownUser: () => string | undefined,
  c: Conversation,
): Promise<ConversationView> {
  const contact = c.peer === undefined ? undefined : await readContact(records, c.peer);
  const last = await shownPreview(records, c);
  const draft = await readDraft(records, c.id);
  const hex = groupHexOf(c.id);
  const group = hex === undefined ? undefined : await readGroup(records, fromHex(hex));
  const own = ownUser();
  const myRole =
    group === undefined || own === undefined
      ? null
      : (group.chain.head.state.members.find((m) => m.user === own)?.role ?? null);
  return {
    id: c.id,
    kind: c.kind,
    ...(c.peer === undefined ? {} : { peer: c.peer }),
    title: c.title ?? contact?.handle ?? (c.peer === undefined ? c.id : shortId(c.peer)),
    unread: c.unread,
    lastMessage:
      last === undefined
        ? null
        : {
            key: last.key,
            text: last.text,
            at: last.at,
            outgoing: last.outgoing,
            state: last.state,
            kind: last.kind,
          },
    updatedAt: c.updatedAt,
    verified: contact?.verified === true,
    identityChanged: contact?.change !== undefined,
    isRequest: group !== undefined ? !group.accepted : contact?.status === ContactStatus.REQUEST,
    blocked: contact?.status === ContactStatus.BLOCKED,
    timer: c.timer ?? 0,
    ...(draft === null ? {} : { draft: draftPreview(draft.text, PREVIEW_MAX_CHARS) }),
    ...(group === undefined
      ? {}
      : { group: { myRole, members: await joinedCount(records, group, own) } }),
  };
}

/** A contact as the API shows it, with the safety number once their identity key is known. */
export async function contactView(
  own: Pick<Account, 'userId' | 'publicIdentity'>,
  contact: Contact,
): Promise<ContactView> {
  const identity = contactIdentity(contact);
  return {
    userId: contact.user,
    handle: contact.handle ?? null,
    conversationId: directConversationId(contact.user),
    status: contact.status,
    verified: contact.verified,
    identityChange: contact.change === undefined ? null : { changedAt: contact.change.at },
    safetyNumber:
      identity === undefined
        ? null
        : await safetyNumberFor(
            { user: own.userId, identity: own.publicIdentity },
            { user: contact.user, identity },
          ),
  };
}
