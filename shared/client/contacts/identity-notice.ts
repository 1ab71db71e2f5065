/**
 * The timeline's side of an identity change: every path that detects one
 * (bundles, device list, a prekey message; sessions.ts) stages this notice
 * in the direct conversation, in the same batch as the change itself.
 */

import { ensureDirectConversation } from '../conversations/conversations.ts';
import {
  type MessageRecord,
  SystemEvent,
  stageNewMessage,
  systemMessageRecord,
} from '../conversations/messages.ts';
import type { ClientHost } from '../host.ts';
import type { Batch } from '../store/batch.ts';
import { messageView } from '../views.ts';

export async function stageIdentityChangeNotice(
  host: Pick<ClientHost, 'now' | 'random' | 'stamps' | 'events'>,
  batch: Batch,
  user: string,
): Promise<void> {
  const conversation = await ensureDirectConversation(batch, user, host.now());
  const message = systemMessageRecord({
    id: host.random(16) as MessageRecord['id'],
    conversation: conversation.id,
    stamp: await host.stamps.next(batch),
    about: user,
    aboutDevice: 0,
    event: SystemEvent.IDENTITY_CHANGED,
    now: host.now(),
  });
  await stageNewMessage(batch, conversation, message);
  batch.afterCommit(() => {
    host.events.emit('message', messageView(message));
    host.events.emit('contact', { userId: user });
    host.events.emit('conversation', { conversationId: conversation.id });
  });
}
