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
  /** Our other device changed our signed device list: refresh ours now. */
  ownListChanged(): void;
}

export function effectEmitter(host: EffectEventsHost): (effects: readonly InboxEffect[]) => void {
  const { events } = host;
  return (effects) => {
    const conversations = new Set<string>();
    for (const effect of effects) {
      if (effect.type === 'message' || effect.type === 'message-state') {
        events.emit(effect.type, messageView(effect.message));
        conversations.add(effect.message.conv);
      } else if (effect.type === 'conversation') {
        conversations.add(effect.conversationId); // one event per conversation, after the rest
      } else if (effect.type === 'own-list-changed') {
        host.ownListChanged();
      } else if (effect.type === 'typing') {
        host.showTyping(effect.conversationId, effect.userId, effect.typing); // shown, then expired
      } else {
        const { type, ...payload } = effect;
        events.emit(type, payload as ClientEvents[typeof type]);
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
