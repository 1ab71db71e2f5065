/**
 * Chat history as a virtualised list: only the rows near the viewport exist
 * in the DOM, heights are measured as rows render (ResizeObserver) and
 * estimated before, and the view stays pinned to the newest message unless
 * the reader scrolled up. Scrolling near the top loads older pages; the row
 * the reader was looking at stays put while they arrive.
 *
 * Rows live in a store reconciled by key (lib/history-rows.ts), so a row's
 * DOM node stays while its message is there: a selection or find-in-page
 * highlight survives updates. A chat with unread messages opens at the
 * "N unread messages" divider; what scrolls into view is reported as seen
 * (lib/seen-tracker.ts), and only that is marked read (docs/extension.md,
 * "Reading and unread").
 */
import {
  createComputed,
  createEffect,
  createMemo,
  createSignal,
  For,
  type JSX,
  on,
  onCleanup,
  onMount,
  Show,
} from 'solid-js';
import { createStore, reconcile } from 'solid-js/store';
import { dayLabel } from '../lib/format.ts';
import { type Row, toRows, UNREAD_KEY, type UnreadMark } from '../lib/history-rows.ts';
import type { MessageView } from '../lib/protocol.ts';
import { createSeenTracker } from '../lib/seen-tracker.ts';
import { anchoredScrollTop, layout, visibleWindow } from '../lib/virtual.ts';
import { JumpToLatest } from './JumpToLatest.tsx';
import { MessageRow } from './MessageRow.tsx';
import { moveMessageFocus } from './message-focus.ts';

const OVERSCAN_PX = 480;
const BOTTOM_SLACK_PX = 48;
const LOAD_OLDER_PX = 320;
/** The divider sits this far below the top when a chat opens at it: a line of context above. */
const DIVIDER_CONTEXT_PX = 28;

function estimate(row: Row): number {
  if (row.kind === 'day' || row.kind === 'unread') return 38;
  const lines =
    Math.max(1, Math.ceil(row.message.text.length / 38)) +
    (row.message.text.match(/\n/g)?.length ?? 0);
  const files = (row.message.attachments ?? []).reduce(
    (sum, a) => sum + (a.width !== undefined && a.height !== undefined ? 220 : 72),
    0,
  );
  return 40 + lines * 20 + (row.showSender ? 16 : 0) + files;
}

/** Row heights by key, measured as rows render; `measured` changes when one does. */
function createRowMeasurer() {
  const heights = new Map<string, number>();
  const [measured, setMeasured] = createSignal(0);
  const resizer = new ResizeObserver((entries) => {
    let changed = false;
    for (const entry of entries) {
      const key = (entry.target as HTMLElement).dataset.key;
      const h = Math.round(entry.borderBoxSize[0]?.blockSize ?? entry.contentRect.height);
      if (key !== undefined && h > 0 && heights.get(key) !== h) {
        heights.set(key, h);
        changed = true;
      }
    }
    if (changed) setMeasured((n) => n + 1);
  });
  onCleanup(() => resizer.disconnect());
  /** Measures `el` (a row with `data-key`) until the calling scope is cleaned up. */
  const measure = (el: HTMLElement) => {
    resizer.observe(el);
    onCleanup(() => resizer.unobserve(el));
  };
  return { heights, measured, measure };
}

function unreadLabel(count: number): string {
  return `${count} unread message${count === 1 ? '' : 's'}`;
}

/** A day separator, the unread divider, or a message. */
function HistoryRow(props: { row: Row; now: number }): JSX.Element {
  const row = props.row;
  if (row.kind === 'day') {
    return (
      <div class="day-sep">
        <span>{dayLabel(row.at, props.now)}</span>
      </div>
    );
  }
  if (row.kind === 'unread') {
    return (
      <div class="unread-sep" id="unread-divider">
        <span>{unreadLabel(row.count)}</span>
      </div>
    );
  }
  return <MessageRow message={row.message} showSender={row.showSender} showTime={row.showTime} />;
}

export interface MessageListProps {
  messages: readonly MessageView[];
  hasMore: boolean;
  loading: boolean;
  onLoadOlder: () => void;
  now: number;
  label: string;
  /** Group chat: name the sender of incoming messages. */
  group?: boolean;
  /** Where the unread messages started when the chat opened (the divider), or null. */
  unread: UnreadMark | null;
  /** Incoming messages not read yet: the count on the jump-to-latest button. */
  unreadNow: number;
  /** An incoming message was in view while the page was visible. */
  onSeen: (id: string) => void;
}

export function MessageList(props: MessageListProps): JSX.Element {
  let scroller: HTMLDivElement | undefined;
  const { heights, measured, measure } = createRowMeasurer();
  const [scrollTop, setScrollTop] = createSignal(0);
  const [viewport, setViewport] = createSignal(600);
  const [pinned, setPinned] = createSignal(true);
  let opened = false;
  let anchor: { key: string; delta: number } | null = null;
  /**
   * Where this list last scrolled itself. Its own scroll event arrives a frame
   * later, possibly after a tall row (a 16k-character message) was measured and
   * the content grew: judged then, it would look like the reader scrolled up
   * and the list would stop following the newest message.
   */
  let ownTop: number | null = null;

  const rows = createMemo(() =>
    toRows(props.messages, { group: props.group === true, unread: props.unread }),
  );
  const [store, setStore] = createStore<{ rows: Row[] }>({ rows: [] });
  createComputed(() => setStore('rows', reconcile(rows(), { key: 'key' })));
  const geometry = createMemo(() => {
    measured();
    return layout(rows().map((r) => heights.get(r.key) ?? estimate(r)));
  });
  const windowed = createMemo(() => {
    const { start, end } = visibleWindow(geometry().offsets, scrollTop(), viewport(), OVERSCAN_PX);
    return store.rows.slice(start, end);
  });
  const indexOf = createMemo(() => new Map(rows().map((r, i) => [r.key, i])));
  const topOf = (key: string) => geometry().offsets[indexOf().get(key) ?? 0] ?? 0;

  const remember = () => {
    if (scroller === undefined) return;
    const top = scroller.scrollTop;
    setPinned(scroller.scrollHeight - top - scroller.clientHeight < BOTTOM_SLACK_PX);
    const first = windowed().find((r) => topOf(r.key) + (heights.get(r.key) ?? 0) > top);
    anchor = first === undefined ? null : { key: first.key, delta: top - topOf(first.key) };
  };

  const onScroll = () => {
    if (scroller === undefined) return;
    setScrollTop(scroller.scrollTop);
    const ours = ownTop !== null && Math.abs(scroller.scrollTop - ownTop) <= 1;
    ownTop = null;
    if (!ours) remember();
    if (scroller.scrollTop < LOAD_OLDER_PX && props.hasMore && !props.loading) props.onLoadOlder();
  };

  // After every layout change: keep the newest message in view, or keep the
  // row the reader is on where it was. The first rows open at the unread divider.
  createEffect(
    on(geometry, (g) => {
      if (scroller === undefined) return;
      if (!opened && rows().length > 0) {
        opened = true;
        if (indexOf().has(UNREAD_KEY)) {
          setPinned(false);
          anchor = { key: UNREAD_KEY, delta: -DIVIDER_CONTEXT_PX };
        }
      }
      let target: number | null = null;
      if (pinned()) target = g.total;
      else if (anchor !== null) {
        const i = indexOf().get(anchor.key);
        if (i !== undefined) target = anchoredScrollTop(g.offsets, i, anchor.delta);
      }
      if (target !== null && Math.abs(scroller.scrollTop - target) > 1) {
        const el = scroller;
        const to = target;
        queueMicrotask(() => {
          el.scrollTop = to;
          ownTop = el.scrollTop;
          setScrollTop(el.scrollTop);
          // Asked for more than there is: the end of the history is in view, so follow it.
          if (el.scrollTop < to - 1) setPinned(true);
        });
      }
    }),
  );

  const jumpToLatest = () => {
    if (scroller === undefined) return;
    setPinned(true);
    anchor = null;
    scroller.scrollTop = scroller.scrollHeight;
    // The button goes away; the history keeps the focus.
    scroller.focus();
  };

  const seen = createSeenTracker((id) => props.onSeen(id));
  onCleanup(() => seen.dispose());

  onMount(() => {
    if (scroller === undefined) return;
    const el = scroller;
    const size = new ResizeObserver(() => setViewport(el.clientHeight));
    size.observe(el);
    seen.attach(el);
    onCleanup(() => size.disconnect());
    setViewport(el.clientHeight);
  });

  const observe = (row: Row) => (el: HTMLDivElement) => {
    measure(el);
    if (row.kind === 'message' && !row.message.outgoing)
      onCleanup(seen.observe(el, row.message.id));
  };

  return (
    <div class="history">
      <div
        class="messages"
        ref={scroller}
        onScroll={onScroll}
        onKeyDown={(e) => {
          if (scroller !== undefined) moveMessageFocus(e, scroller);
        }}
        role="log"
        aria-label={props.label}
        tabindex="0"
      >
        <Show when={props.loading}>
          <div class="messages__loading">Loading earlier messages…</div>
        </Show>
        <div class="messages__inner" style={{ height: `${geometry().total}px` }}>
          <For each={windowed()}>
            {(row) => (
              <div
                class="messages__item"
                data-key={row.key}
                tabindex={row.kind === 'message' ? -1 : undefined}
                ref={observe(row)}
                style={{ transform: `translateY(${topOf(row.key)}px)` }}
              >
                <HistoryRow row={row} now={props.now} />
              </div>
            )}
          </For>
        </div>
      </div>
      <Show when={!pinned() && rows().length > 0}>
        <JumpToLatest unread={props.unreadNow} onJump={jumpToLatest} />
      </Show>
    </div>
  );
}
