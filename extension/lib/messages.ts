/**
 * Keeping a conversation's loaded history consistent as pages of it arrive
 * out of order (newest first, older on scroll, refreshes on events).
 *
 * Runs anywhere (pure).
 */
import type { MessageView } from './protocol.ts';

/** Union by id (the newer copy wins: states move forward), ordered by send time, then id. */
export function mergeMessages(
  current: readonly MessageView[],
  incoming: readonly MessageView[],
): MessageView[] {
  const byId = new Map(current.map((m) => [m.id, m]));
  for (const m of incoming) byId.set(m.id, m);
  return [...byId.values()].sort(
    (a, b) => a.sentAt - b.sentAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}
