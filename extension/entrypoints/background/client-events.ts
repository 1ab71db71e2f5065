/**
 * The client core's events, turned into what the worker does about them:
 * page events (coalesced by the change feed), who-is-typing, notifications,
 * the unread count, the relay status and the expiry alarm.
 *
 * Runs in: the service worker and Node (tests).
 */
import type { ParleyClient } from '../../../shared/client/parley-client.ts';
import type { RelayStatus } from '../../lib/protocol.ts';
import type { ChangeFeed } from './change-feed.ts';
import type { ChatViews } from './chat-views.ts';
import type { RuntimeContext } from './runtime-context.ts';
import { messageIdOf } from './views.ts';

export interface EventTargets {
  readonly ctx: RuntimeContext;
  readonly views: ChatViews;
  readonly feed: ChangeFeed;
  readonly report: (what: string, error: unknown) => void;
  readonly relayStatus: () => RelayStatus;
  /** The unread total may have changed (the feed publishes it after its flush). */
  readonly unreadChanged: () => void;
}

export function forwardClientEvents(client: ParleyClient, to: EventTargets): void {
  const { ctx, views, feed } = to;
  const report = (what: string) => (e: unknown) => to.report(what, e);

  const emitTyping = (conversationId: string): void => {
    ctx.emit({ type: 'typing', conversationId, handles: views.typing.handles(conversationId) });
    feed.conversation();
  };

  /** A system notification, unless the person is looking at the conversation. */
  const notify = async (conversationId: string, author: string, text: string): Promise<void> => {
    if (ctx.isViewing(conversationId)) return;
    const c = await client.getConversation(conversationId);
    if (c.kind === 'group') {
      const senderHandle = await views.handleOf(conversationId, author);
      ctx.notify({ conversationId, senderHandle, groupName: c.title, text });
    } else {
      ctx.notify({ conversationId, senderHandle: c.title, text });
    }
  };

  client.on('status', () => ctx.setRelayStatus(to.relayStatus()));
  client.on('message', (m) => {
    feed.message(m.conversationId);
    if (m.outgoing || m.kind !== 'text') return;
    // Whoever sent a message has stopped typing it.
    if (views.typing.set(m.conversationId, m.author, '', false)) emitTyping(m.conversationId);
    const text = m.expiresIn === undefined ? m.text : '';
    void notify(m.conversationId, m.author, text).catch(report('notify'));
  });
  client.on('message-state', (m) => feed.message(m.conversationId));
  client.on('conversation', () => {
    to.unreadChanged();
    feed.conversation();
  });
  client.on('contact', ({ userId }) => feed.contact(userId));
  client.on('settings', ({ readReceipts, typingIndicators, showPresence }) => {
    ctx
      .adoptSyncedSettings?.({ readReceipts, typingIndicators, showPresence })
      .catch(report('settings'));
  });
  client.on('presence', ({ userId }) => feed.contact(userId));
  client.on('group', ({ conversationId }) => feed.group(conversationId));
  client.on('group-rejected', ({ conversationId }) => feed.group(conversationId));
  client.on('typing', ({ conversationId, userId, typing }) => {
    void views
      .handleOf(conversationId, userId)
      .then((handle) => {
        if (views.typing.set(conversationId, userId, handle, typing)) emitTyping(conversationId);
      })
      .catch(report('typing'));
  });
  client.on('expired', ({ conversationId, keys }) => {
    // Straight away, not coalesced: the text must leave open pages now.
    ctx.emit({
      type: 'expired',
      conversationId,
      ids: keys.map((k) => messageIdOf(k, conversationId)),
    });
    to.unreadChanged();
    feed.conversation();
  });
  client.on('expiry', ({ next }) => {
    void ctx.scheduleExpiry(next).catch(report('expiry alarm'));
  });
}
