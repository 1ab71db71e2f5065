/**
 * Contacts and safety numbers.
 *
 * Runs in: the service worker and Node (tests).
 */
import * as v from 'valibot';
import type { ContactView } from '../../../lib/protocol.ts';
import { inConversation } from '../chat-views.ts';
import { toContactView } from '../views.ts';
import { id } from './fields.ts';
import { request } from './row.ts';

export const contactRequests = {
  getContact: request({
    input: v.strictObject({ conversationId: id }),
    unlocked: true,
    run: ({ views }, { conversationId }): Promise<ContactView> => views.contact(conversationId),
  }),

  setVerified: request({
    input: v.strictObject({ userId: id, verified: v.boolean() }),
    unlocked: true,
    run: async ({ client }, { userId, verified }): Promise<ContactView> =>
      toContactView(await inConversation(() => client.setVerified(userId, verified))),
  }),

  /** Accepts a changed identity key: sending is allowed again. */
  acknowledgeIdentityChange: request({
    input: v.strictObject({ userId: id }),
    unlocked: true,
    run: async ({ client }, { userId }): Promise<ContactView> =>
      toContactView(await inConversation(() => client.acknowledgeIdentityChange(userId))),
  }),
};
