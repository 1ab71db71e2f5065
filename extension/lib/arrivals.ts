/**
 * Which messages are new arrivals worth announcing to a screen reader:
 * incoming text newer than the newest message the page knew of. The history
 * that loads when a chat opens, older pages loaded by scrolling up, and the
 * reader's own messages are never announced (docs/extension.md, "Reading and
 * unread"). Message ids sort in arrival order.
 *
 * Runs anywhere (pure).
 */
import type { MessageView } from './protocol.ts';

/** The newest id loaded, or '' (older than every id) when none. */
export function newestId(messages: readonly MessageView[]): string {
  let newest = '';
  for (const m of messages) if (m.id > newest) newest = m.id;
  return newest;
}

export function arrivalsSince(messages: readonly MessageView[], known: string): MessageView[] {
  return messages.filter((m) => m.id > known && !m.outgoing && m.kind === 'text');
}

/** Longer texts are cut in the announcement; the message itself is in the history. */
export const ANNOUNCE_MAX_CHARS = 280;

/** What a screen reader says for an arrival. */
export function announcement(m: MessageView): string {
  const text =
    m.text.length > ANNOUNCE_MAX_CHARS ? `${m.text.slice(0, ANNOUNCE_MAX_CHARS)}…` : m.text;
  return `${m.senderHandle}: ${text}`;
}
