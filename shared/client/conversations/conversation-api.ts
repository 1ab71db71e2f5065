/**
 * The conversation part of the client API (createClient exposes these): find
 * a user and open a chat, list and read conversations, delete one. Messages
 * inside a conversation are message-api.ts; its disappearing-message timer
 * is disappearing/timer-api.ts. Every change is one transaction on the client
 * host (host.ts), then its events.
 */
import { ErrorCode, fail, isParleyError } from '../../errors.ts';
import { normalizeHandle } from '../../wire/handle.ts';
import {
  ContactStatus,
  contactOp,
  newContact,
  publicIdentityOf,
  readContact,
} from '../contacts/contacts.ts';
import type { GroupApi } from '../groups/group-api.ts';
import type { ClientHost } from '../host.ts';
import type { RelayApi } from '../relay/relay-api.ts';
import type { SyncPayload } from '../sessions/content.ts';
import { checkIdentity, type SessionContext } from '../sessions/sessions.ts';
import type { Batch } from '../store/batch.ts';
import type { ConversationView } from '../views.ts';
import {
  type Conversation,
  ensureDirectConversation,
  groupHexOf,
  listConversations,
  readConversation,
} from './conversations.ts';
import { stageConversationDeletion } from './deletion.ts';
import { DRAFT_MAX_CHARS, readDraft, stageDraft } from './drafts.ts';

export interface ConversationApiHost
  extends Pick<ClientHost, 'records' | 'transact' | 'now' | 'events'> {
  requireSessions(): SessionContext;
  requireApi(): RelayApi;
  viewConversation(conversation: Conversation): Promise<ConversationView>;
  readonly groups: Pick<GroupApi, 'isActiveMember' | 'leaveGroup'>;
  /** Messages with a countdown were deleted: re-arm the expiry timer. */
  refreshExpiry(): void;
  /** Queues a sync for our other devices in `batch`. */
  stageSync(batch: Batch, payload: SyncPayload): Promise<void>;
  /** The outbox has something new. */
  pump(): void;
}

export function createConversationApi(host: ConversationApiHost) {
  const { records, transact, now, events } = host;

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
      const known = await readContact(batch, found.user);
      const contact = known ?? newContact(found.user, ContactStatus.ACCEPTED, now());
      // Opening a chat accepts them on our other devices too (docs/client.md, "Own-device sync").
      if (known?.status !== ContactStatus.ACCEPTED && known?.status !== ContactStatus.BLOCKED) {
        await host.stageSync(batch, { k: 'contact', u: found.user, s: 'accepted' });
      }
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
    host.pump();
    return host.viewConversation(conversation);
  }

  /**
   * Deletes a conversation and its messages from this device (and, on the
   * relay, the files our own messages in it carried). A request stays
   * a request (a new message from them shows up as a request again). A group
   * is left first (an owner must transfer ownership before: GROUP_FORBIDDEN).
   */
  async function deleteConversation(conversationId: string): Promise<void> {
    const hex = groupHexOf(conversationId);
    if (hex !== undefined && (await host.groups.isActiveMember(conversationId))) {
      await host.groups.leaveGroup(conversationId);
    }
    await transact(async (batch) => {
      if (!(await stageConversationDeletion(batch, conversationId)))
        fail(ErrorCode.NOT_FOUND, 'No such conversation');
      // Our other devices delete it too (docs/client.md, "Own-device sync").
      await host.stageSync(batch, { k: 'delete-conversation', c: conversationId });
    });
    events.emit('conversation', { conversationId });
    host.refreshExpiry();
    host.pump();
  }

  /** The conversation's draft ("" when none). */
  async function getDraft(conversationId: string): Promise<string> {
    return (await readDraft(records, conversationId))?.text ?? '';
  }

  /**
   * Keeps (or, when blank, drops) the conversation's draft. Errors: NOT_FOUND
   * (no such conversation), BODY_INVALID (longer than DRAFT_MAX_CHARS). Says
   * "conversation" changed only when the draft did (the list shows it).
   */
  async function saveDraft(input: {
    readonly conversationId: string;
    readonly text: string;
  }): Promise<void> {
    const { conversationId, text } = input;
    if (text.length > DRAFT_MAX_CHARS)
      fail(ErrorCode.BODY_INVALID, `A draft has at most ${DRAFT_MAX_CHARS} characters`);
    const changed = await transact(async (batch) => {
      if ((await readConversation(batch, conversationId)) === undefined)
        fail(ErrorCode.NOT_FOUND, 'No such conversation');
      const before = (await readDraft(batch, conversationId))?.text ?? '';
      const after = text.trim() === '' ? '' : text;
      if (before === after) return false;
      stageDraft(batch, conversationId, text, now());
      return true;
    });
    if (changed) events.emit('conversation', { conversationId });
  }

  return {
    getDraft,
    saveDraft,
    lookupHandle,
    startConversation,
    listConversations: async (): Promise<ConversationView[]> =>
      Promise.all((await listConversations(records)).map(host.viewConversation)),
    getConversation,
    deleteConversation,
  };
}

export type ConversationApi = ReturnType<typeof createConversationApi>;
