/**
 * Coalesces the client core's change events into the few page events pages
 * react to. A burst (a relay backlog after a restart, a page of receipts)
 * produces hundreds of core events; pages re-fetch on each event they get,
 * so the feed waits a moment and then says once per conversation that its
 * messages changed, once that the list changed, once per contact and group.
 *
 * Runs in: the service worker and Node (tests; the scheduler is a parameter).
 */
import type { ParleyEvent } from '../../lib/protocol.ts';

export interface ChangeFeedDeps {
  readonly emit: (event: ParleyEvent) => void;
  /** Runs `callback` after `ms` (setTimeout in the worker). */
  readonly schedule: (callback: () => void, ms: number) => void;
  /** After each flush that touched the conversation list (unread totals, badge). */
  readonly onConversationsChanged?: () => void;
  readonly delayMs?: number;
}

export const CHANGE_FEED_DELAY_MS = 25;

export class ChangeFeed {
  readonly #deps: ChangeFeedDeps;
  readonly #messages = new Set<string>();
  readonly #contacts = new Set<string>();
  readonly #groups = new Set<string>();
  #conversations = false;
  #scheduled = false;

  constructor(deps: ChangeFeedDeps) {
    this.#deps = deps;
  }

  /** A message was added to or changed in `conversationId`. */
  message(conversationId: string): void {
    this.#messages.add(conversationId);
    this.#conversations = true;
    this.#arm();
  }

  /** A conversation's summary (preview, unread, title) changed. */
  conversation(): void {
    this.#conversations = true;
    this.#arm();
  }

  contact(userId: string): void {
    this.#contacts.add(userId);
    this.#conversations = true;
    this.#arm();
  }

  /** A group's members, roles, name or timer changed. */
  group(conversationId: string): void {
    this.#groups.add(conversationId);
    this.#conversations = true;
    this.#arm();
  }

  #arm(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#deps.schedule(() => this.flush(), this.#deps.delayMs ?? CHANGE_FEED_DELAY_MS);
  }

  /** Emits everything pending now. */
  flush(): void {
    this.#scheduled = false;
    const messages = [...this.#messages];
    const contacts = [...this.#contacts];
    const groups = [...this.#groups];
    const conversations = this.#conversations;
    this.#messages.clear();
    this.#contacts.clear();
    this.#groups.clear();
    this.#conversations = false;
    if (conversations) this.#deps.emit({ type: 'conversations' });
    for (const conversationId of messages) this.#deps.emit({ type: 'messages', conversationId });
    for (const userId of contacts) this.#deps.emit({ type: 'contact', userId });
    for (const conversationId of groups) this.#deps.emit({ type: 'group', conversationId });
    if (conversations) this.#deps.onConversationsChanged?.();
  }
}
