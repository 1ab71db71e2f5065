/**
 * Which loaded messages are still there at a given time, and when the next
 * one disappears: the history is filtered again only at that moment, not on
 * every clock tick, so rows are not rebuilt while the reader selects text
 * (docs/extension.md, "Reading and unread").
 *
 * Runs anywhere (pure).
 */
import type { MessageView } from './protocol.ts';

export function unexpired(messages: readonly MessageView[], at: number): MessageView[] {
  return messages.filter((m) => m.expiresAt === undefined || m.expiresAt > at);
}

/** The earliest `expiresAt` after `at`, or null when nothing loaded counts down. */
export function nextExpiry(messages: readonly MessageView[], at: number): number | null {
  let next: number | null = null;
  for (const m of messages) {
    if (m.expiresAt !== undefined && m.expiresAt > at && (next === null || m.expiresAt < next)) {
      next = m.expiresAt;
    }
  }
  return next;
}
