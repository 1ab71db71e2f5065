/**
 * What a store change means for the UI: the inbox, group and timer code
 * return these; client.ts turns them into events after the write committed.
 */
import type { MessageRecord } from './conversations/messages.ts';

export type InboxEffect =
  | { readonly type: 'message'; readonly message: MessageRecord }
  | { readonly type: 'message-state'; readonly message: MessageRecord }
  | { readonly type: 'contact'; readonly userId: string }
  | { readonly type: 'conversation'; readonly conversationId: string }
  | {
      readonly type: 'typing';
      readonly conversationId: string;
      readonly userId: string;
      readonly typing: boolean;
    }
  | {
      readonly type: 'undecryptable';
      readonly userId: string;
      readonly deviceId: number;
      readonly code: string;
    }
  /** A group's state changed (members, roles, name, timer). */
  | { readonly type: 'group'; readonly conversationId: string }
  /** A group state update was refused (forbidden, replayed, stale, bad signature). */
  | {
      readonly type: 'group-rejected';
      readonly conversationId: string;
      readonly userId: string;
      readonly code: string;
    }
  | { readonly type: 'presence'; readonly userId: string };
