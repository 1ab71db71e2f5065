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

/**
 * Merges the newest page into what is loaded and drops what the page shows is
 * gone: a loaded message in the range the page covers (from its oldest id on,
 * or everything when the page reaches the start of history) that the page
 * does not have was deleted meanwhile (it disappeared, or the conversation was
 * cleared while this page missed the event). Ids sort in arrival order.
 */
export function reconcileLatest(
  current: readonly MessageView[],
  page: { readonly messages: readonly MessageView[]; readonly before: string | null },
): MessageView[] {
  const fresh = new Set(page.messages.map((m) => m.id));
  const oldest = page.messages[0]?.id;
  const covered = (id: string) => page.before === null || (oldest !== undefined && id >= oldest);
  const kept = current.filter((m) => fresh.has(m.id) || !covered(m.id));
  return mergeMessages(kept, page.messages);
}

/** Without the messages in `ids` (disappeared). */
export function withoutIds(current: readonly MessageView[], ids: readonly string[]): MessageView[] {
  const gone = new Set(ids);
  return current.filter((m) => !gone.has(m.id));
}

/** The attachment ids of the messages named by `ids` (their decrypted copies go with them). */
export function attachmentIdsOf(current: readonly MessageView[], ids: readonly string[]): string[] {
  const gone = new Set(ids);
  return current
    .filter((m) => gone.has(m.id))
    .flatMap((m) => m.attachments?.map((a) => a.id) ?? []);
}
