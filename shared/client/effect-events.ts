/**
 * Effects (effects.ts) become events, after the write that made them true:
 * one `conversation` event per conversation touched, typing shown through
 * the typing module, and the expiry timer re-armed when a disappearing
 * message appeared or changed.
 */
import type { InboxEffect } from './effects.ts';
import type { Emitter } from './events.ts';
import { type ClientEvents, messageView } from './views.ts';

export interface EffectEventsHost {
  readonly events: Emitter<ClientEvents>;
  showTyping(conversationId: string, userId: string, typing: boolean): void;
  refreshExpiry(): void;
}

export function effectEmitter(host: EffectEventsHost): (effects: readonly InboxEffect[]) => void {
  const { events } = host;
  return (effects) => {
    const conversations = new Set<string>();
    for (const effect of effects) {
      switch (effect.type) {
        case 'message':
          events.emit('message', messageView(effect.message));
          conversations.add(effect.message.conv);
          break;
        case 'message-state':
          events.emit('message-state', messageView(effect.message));
          conversations.add(effect.message.conv);
          break;
        case 'contact':
          events.emit('contact', { userId: effect.userId });
          break;
        case 'typing':
          host.showTyping(effect.conversationId, effect.userId, effect.typing);
          break;
        case 'undecryptable':
          events.emit('undecryptable', {
            userId: effect.userId,
            deviceId: effect.deviceId,
            code: effect.code,
          });
          break;
        case 'conversation':
          conversations.add(effect.conversationId);
          break;
        case 'group':
          events.emit('group', { conversationId: effect.conversationId });
          break;
        case 'group-rejected':
          events.emit('group-rejected', {
            conversationId: effect.conversationId,
            userId: effect.userId,
            code: effect.code,
          });
          break;
        case 'presence':
          events.emit('presence', { userId: effect.userId });
          break;
      }
    }
    for (const conversationId of conversations) events.emit('conversation', { conversationId });
    if (
      effects.some(
        (e) =>
          (e.type === 'message' || e.type === 'message-state') && e.message.expiresAt !== undefined,
      )
    ) {
      host.refreshExpiry();
    }
  };
}
