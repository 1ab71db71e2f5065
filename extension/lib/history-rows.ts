/**
 * The rows a chat history shows, from its messages: day separators, the
 * "N unread messages" divider, and messages grouped into clusters (one
 * sender, a few minutes apart) that show the sender's name once and the time
 * once, under the last message. Every row has a key that stays the same for
 * as long as its message is there, so the page can keep the row's DOM node
 * (docs/extension.md, "Reading and unread").
 *
 * Runs anywhere (pure).
 */
import { sameDay } from './format.ts';
import type { MessageView } from './protocol.ts';

/** Messages from one sender closer together than this form one cluster. */
export const CLUSTER_GAP_MS = 5 * 60_000;

export const UNREAD_KEY = 'unread';

export type Row =
  | { readonly key: string; readonly kind: 'day'; readonly at: number }
  | { readonly key: typeof UNREAD_KEY; readonly kind: 'unread'; readonly count: number }
  | {
      readonly key: string;
      readonly kind: 'message';
      readonly message: MessageView;
      /** Groups: the first message of a cluster from another member names them. */
      readonly showSender: boolean;
      /** The last message of a cluster shows the time. */
      readonly showTime: boolean;
    };

/** Where the unread messages start when a chat opens, and how many there are. */
export interface UnreadMark {
  readonly firstId: string;
  readonly count: number;
}

/** Incoming text the reader has not read (the same rule as the list's unread count). */
export function isUnread(m: MessageView): boolean {
  return !m.outgoing && m.kind === 'text' && m.state === 'received';
}

export function unreadMark(messages: readonly MessageView[]): UnreadMark | null {
  const first = messages.findIndex(isUnread);
  const start = messages[first];
  if (start === undefined) return null;
  return { firstId: start.id, count: messages.slice(first).filter(isUnread).length };
}

function sameCluster(a: MessageView | undefined, b: MessageView): boolean {
  return (
    a !== undefined &&
    a.kind === 'text' &&
    b.kind === 'text' &&
    a.outgoing === b.outgoing &&
    a.senderHandle === b.senderHandle &&
    sameDay(a.sentAt, b.sentAt) &&
    b.sentAt - a.sentAt <= CLUSTER_GAP_MS
  );
}

function dayKey(at: number): string {
  const d = new Date(at);
  return `day:${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
}

export function toRows(
  messages: readonly MessageView[],
  options: { readonly group: boolean; readonly unread?: UnreadMark | null },
): Row[] {
  const rows: Row[] = [];
  messages.forEach((m, i) => {
    const previous = messages[i - 1];
    if (previous === undefined || !sameDay(previous.sentAt, m.sentAt)) {
      rows.push({ key: dayKey(m.sentAt), kind: 'day', at: m.sentAt });
    }
    const unread = options.unread;
    if (unread != null && unread.firstId === m.id) {
      rows.push({ key: UNREAD_KEY, kind: 'unread', count: unread.count });
    }
    const next = messages[i + 1];
    const startsCluster = !sameCluster(previous, m) || unread?.firstId === m.id;
    const endsCluster = next === undefined || !sameCluster(m, next) || unread?.firstId === next.id;
    rows.push({
      key: `m:${m.id}`,
      kind: 'message',
      message: m,
      showSender: options.group && !m.outgoing && m.kind === 'text' && startsCluster,
      showTime: endsCluster,
    });
  });
  return rows;
}
