/**
 * The chat's views and how the reader moves between them: what "back" (and
 * Escape) leads to, and where focus returns when coming back, so the reader
 * lands on the item they left (docs/extension.md, "Focus and keyboard").
 *
 * Runs in: pages (pure).
 */

export type Route =
  | { readonly name: 'list' }
  | { readonly name: 'chat'; readonly id: string }
  | { readonly name: 'contact'; readonly id: string }
  | { readonly name: 'group'; readonly id: string }
  | { readonly name: 'settings' }
  | { readonly name: 'devices' };

export const LIST: Route = { name: 'list' };

/** Where "back" leads from a view; null on the list (nothing is behind it). */
export function backOf(route: Route): Route | null {
  switch (route.name) {
    case 'list':
      return null;
    case 'chat':
    case 'settings':
      return LIST;
    case 'contact':
    case 'group':
      return { name: 'chat', id: route.id };
    case 'devices':
      return { name: 'settings' };
  }
}

/** Marks a conversation's entry in the list (ConversationList sets it, literally). */
export const CONVERSATION_ID_ATTR = 'data-conversation-id';
/** Marks the control that opens a view, to return to it (Topbar, ConversationHeader set it). */
export const OPENS_ATTR = 'data-opens';

/** Selector of the list entry for a conversation id. */
export function conversationEntry(id: string): string {
  return `[${CONVERSATION_ID_ATTR}="${id.replace(/["\\]/g, '\\$&')}"]`;
}

/**
 * Where focus goes when `to` appears after `from`: back on the control that
 * led away (the list entry of the chat just left, the settings button, the
 * chat header's details button), or null for the view's own landing spot.
 */
export function returnFocusOf(from: Route | null, to: Route): string | null {
  if (from === null) return null;
  if (to.name === 'list') {
    if (from.name === 'chat') return conversationEntry(from.id);
    if (from.name === 'settings') return `[${OPENS_ATTR}="settings"]`;
    return null;
  }
  if (to.name === 'settings' && from.name === 'devices') return `[${OPENS_ATTR}="devices"]`;
  if (to.name === 'chat' && (from.name === 'contact' || from.name === 'group') && from.id === to.id)
    return `[${OPENS_ATTR}="details"]`;
  return null;
}

/** The conversation `step` places before (-1) or after (+1) `id` in list order, if any. */
export function neighbourOf(
  ids: readonly string[],
  id: string | null,
  step: -1 | 1,
): string | undefined {
  if (ids.length === 0) return undefined;
  const at = id === null ? -1 : ids.indexOf(id);
  if (at === -1) return step === 1 ? ids[0] : ids[ids.length - 1];
  return ids[at + step];
}
