/**
 * What a store change means for the UI: the inbox, group and timer code
 * return these; client.ts emits them as events after the write committed.
 */
import type { MessageRecord } from './conversations/messages.ts';
import type { ClientEvents } from './views.ts';

/** A client event (views.ts ClientEvents) as a value: its name in `type`, its payload beside it. */
export type EventEffect<K extends keyof ClientEvents> = { readonly type: K } & ClientEvents[K];

/**
 * The client's own event vocabulary; only messages differ: they carry the
 * record, which becomes the event's view after the commit.
 */
export type InboxEffect =
  | { readonly type: 'message'; readonly message: MessageRecord }
  | { readonly type: 'message-state'; readonly message: MessageRecord }
  | EventEffect<'contact'>
  | EventEffect<'conversation'>
  | EventEffect<'typing'>
  | EventEffect<'undecryptable'>
  /** A group's state changed (members, roles, name, timer). */
  | EventEffect<'group'>
  /** A group state update was refused (forbidden, replayed, stale, bad signature). */
  | EventEffect<'group-rejected'>
  | EventEffect<'presence'>
  /** Our other device changed the synced settings (sync/apply-sync.ts). */
  | EventEffect<'settings'>
  /** Our other device says our signed device list changed: fetch and announce it now. */
  | { readonly type: 'own-list-changed'; readonly version: number };
