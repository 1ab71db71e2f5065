/**
 * Groups: create, read, rename, members and roles, leave. Permissions are
 * the client core's (docs/client.md "Permissions"); every change answers
 * with the group as its page shows it.
 *
 * Runs in: the service worker and Node (tests).
 */
import * as v from 'valibot';
import type { ParleyClient } from '../../../../shared/client/parley-client.ts';
import { ErrorCode, ParleyError } from '../../../../shared/errors.ts';
import type { ConversationSummary, GroupView } from '../../../lib/protocol.ts';
import { inConversation } from '../chat-views.ts';
import { groupName, handles, id, role } from './fields.ts';
import { request } from './row.ts';

const inGroup = v.strictObject({ conversationId: id });

/**
 * Looks every handle up first so a wrong one is named (HANDLE_NOT_FOUND with
 * the handle, from the client core), and refuses our own.
 */
async function checkHandles(client: ParleyClient, list: readonly string[]): Promise<void> {
  const own = client.account()?.userId;
  for (const handle of list) {
    const found = await client.lookupHandle(handle);
    if (found.user === own) throw new ParleyError(ErrorCode.OWN_HANDLE, 'That is your own handle');
  }
}

export const groupRequests = {
  /** Errors: HANDLE_NOT_FOUND (with the handle), OWN_HANDLE. */
  createGroup: request({
    input: v.strictObject({ name: groupName, members: handles }),
    unlocked: true,
    run: async ({ client, views, shell }, { name, members }): Promise<ConversationSummary> => {
      await shell.touch();
      await checkHandles(client, members);
      return views.summaryOf(await client.createGroup({ name, members }));
    },
  }),

  getGroup: request({
    input: inGroup,
    unlocked: true,
    run: ({ views }, { conversationId }): Promise<GroupView> => views.group(conversationId),
  }),

  renameGroup: request({
    input: v.strictObject({ conversationId: id, name: groupName }),
    unlocked: true,
    run: async ({ client, views }, { conversationId, name }): Promise<GroupView> => {
      await inConversation(() => client.renameGroup(conversationId, name));
      return views.group(conversationId);
    },
  }),

  addGroupMembers: request({
    input: v.strictObject({ conversationId: id, handles }),
    unlocked: true,
    run: async ({ client, views }, { conversationId, handles }): Promise<GroupView> => {
      await checkHandles(client, handles);
      await inConversation(() => client.addMembers(conversationId, handles));
      return views.group(conversationId);
    },
  }),

  removeGroupMember: request({
    input: v.strictObject({ conversationId: id, userId: id }),
    unlocked: true,
    run: async ({ client, views }, { conversationId, userId }): Promise<GroupView> => {
      await inConversation(() => client.removeMember(conversationId, userId));
      return views.group(conversationId);
    },
  }),

  /** Owner only; `owner` hands ownership over (we become an admin). */
  setGroupRole: request({
    input: v.strictObject({ conversationId: id, userId: id, role }),
    unlocked: true,
    run: async ({ client, views }, { conversationId, userId, role }): Promise<GroupView> => {
      await inConversation(() => client.setRole(conversationId, userId, role));
      return views.group(conversationId);
    },
  }),

  leaveGroup: request({
    input: inGroup,
    unlocked: true,
    run: async ({ client }, { conversationId }): Promise<null> => {
      await inConversation(() => client.leaveGroup(conversationId));
      return null;
    },
  }),
};
