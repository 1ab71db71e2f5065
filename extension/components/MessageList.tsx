/**
 * Chat history as a virtualised list: only the rows near the viewport exist
 * in the DOM, heights are measured as rows render (ResizeObserver) and
 * estimated before, and the view stays pinned to the newest message unless
 * the reader scrolled up. Scrolling near the top loads older pages; the row
 * the reader was looking at stays put while they arrive.
 */
import {
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
import { clockTime, countdown, dayLabel, sameDay, timerLabel, timerShort } from '../lib/format.ts';
import type { MessageView } from '../lib/protocol.ts';
import { anchoredScrollTop, layout, visibleWindow } from '../lib/virtual.ts';
import { MessageAttachment } from './attachments/MessageAttachment.tsx';
import { Icon, type IconName } from './Icon.tsx';
import { MessageStatus } from './MessageStatus.tsx';

type Row =
  | { readonly key: string; readonly kind: 'day'; readonly at: number }
  | {
      readonly key: string;
      readonly kind: 'message';
      readonly message: MessageView;
      /** Groups: the first of a run of messages from one member shows their name. */
      readonly showSender: boolean;
    };

const OVERSCAN_PX = 480;
const BOTTOM_SLACK_PX = 48;
const LOAD_OLDER_PX = 320;

function estimate(row: Row): number {
  if (row.kind === 'day') return 38;
  const lines =
    Math.max(1, Math.ceil(row.message.text.length / 38)) +
    (row.message.text.match(/\n/g)?.length ?? 0);
  const files = (row.message.attachments ?? []).reduce(
    (sum, a) => sum + (a.width !== undefined && a.height !== undefined ? 220 : 72),
    0,
  );
  return 40 + lines * 20 + (row.showSender ? 16 : 0) + files;
}

function toRows(messages: readonly MessageView[], group: boolean): Row[] {
  const rows: Row[] = [];
  let previous: MessageView | undefined;
  for (const m of messages) {
    const newDay = previous === undefined || !sameDay(previous.sentAt, m.sentAt);
    if (newDay) rows.push({ key: `day:${m.sentAt}`, kind: 'day', at: m.sentAt });
    const showSender =
      group &&
      !m.outgoing &&
      m.kind === 'text' &&
      (newDay ||
        previous?.kind !== 'text' ||
        previous.outgoing ||
        previous.senderHandle !== m.senderHandle);
    rows.push({ key: `m:${m.id}`, kind: 'message', message: m, showSender });
    previous = m;
  }
  return rows;
}

function noticeIcon(system: string | undefined): IconName {
  switch (system) {
    case 'timer-changed':
      return 'timer';
    case 'identity-changed':
      return 'shield';
    case 'decrypt-failed':
    case 'messages-missing':
    case 'group-change-superseded':
      return 'alert';
    case undefined:
      return 'info';
    default:
      return 'users';
  }
}

/** The disappearing-message mark on a bubble: time left once counting, else the timer. */
function Expiry(props: { message: MessageView; now: number }): JSX.Element {
  const left = () => {
    const { expiresAt, expiresIn } = props.message;
    if (expiresAt !== undefined) return countdown(expiresAt - props.now);
    return expiresIn === undefined ? '' : timerShort(expiresIn);
  };
  const label = () =>
    props.message.expiresAt === undefined
      ? `Disappears ${timerLabel(props.message.expiresIn ?? 0)} after it is read`
      : `Disappears in ${left()}`;
  return (
    <span class="bubble__expiry" title={label()} role="img" aria-label={label()}>
      <Icon name="timer" />
      <span aria-hidden="true">{left()}</span>
    </span>
  );
}

function MessageRow(props: {
  message: MessageView;
  showSender: boolean;
  now: number;
}): JSX.Element {
  const m = () => props.message;
  const disappearing = () => m().expiresAt !== undefined || m().expiresIn !== undefined;
  return (
    <Show
      when={m().kind === 'text'}
      fallback={
        <div class="system-line" role="note" data-system={m().system}>
          <span class="system-line__pill">
            <Icon name={noticeIcon(m().system)} />
            <span>{m().text}</span>
          </span>
        </div>
      }
    >
      <div class={`bubble-row bubble-row--${m().outgoing ? 'out' : 'in'}`}>
        <div class="bubble">
          <Show when={props.showSender}>
            <div class="bubble__sender" aria-hidden="true">
              {m().senderHandle}
            </div>
          </Show>
          <span class="sr-only">{m().outgoing ? 'You' : m().senderHandle}: </span>
          <For each={m().attachments ?? []}>
            {(attachment) => <MessageAttachment attachment={attachment} />}
          </For>
          {m().text}
          <div class="bubble__meta">
            <Show when={disappearing()}>
              <Expiry message={m()} now={props.now} />
            </Show>
            <time dateTime={new Date(m().sentAt).toISOString()}>{clockTime(m().sentAt)}</time>
            <Show when={m().outgoing}>
              <MessageStatus
                state={m().state}
                {...(m().receipts === undefined ? {} : { receipts: m().receipts })}
              />
            </Show>
          </div>
        </div>
      </div>
    </Show>
  );
}

export function MessageList(props: {
  messages: readonly MessageView[];
  hasMore: boolean;
  loading: boolean;
  onLoadOlder: () => void;
  now: number;
  label: string;
  /** Group chat: name the sender of incoming messages. */
  group?: boolean;
}): JSX.Element {
  let scroller: HTMLDivElement | undefined;
  const heights = new Map<string, number>();
  const [measured, setMeasured] = createSignal(0);
  const [scrollTop, setScrollTop] = createSignal(0);
  const [viewport, setViewport] = createSignal(600);
  let atBottom = true;
  let anchor: { key: string; delta: number } | null = null;
  /**
   * Where this list last scrolled itself. Its own scroll event arrives a frame
   * later, possibly after a tall row (a 16k-character message) was measured and
   * the content grew: judged then, it would look like the reader scrolled up
   * and the list would stop following the newest message.
   */
  let ownTop: number | null = null;

  // Rows keep their identity while unchanged (<For> keys on it): a re-created
  // row would restart what it shows (an image's download, a playing voice note).
  let previousRows = new Map<string, Row>();
  const rows = createMemo(() => {
    const next = toRows(props.messages, props.group === true).map((row) => {
      const old = previousRows.get(row.key);
      if (old === undefined) return row;
      const same =
        old.kind === 'day' ||
        (row.kind === 'message' &&
          old.kind === 'message' &&
          old.message === row.message &&
          old.showSender === row.showSender);
      return same ? old : row;
    });
    previousRows = new Map(next.map((r) => [r.key, r]));
    return next;
  });
  const geometry = createMemo(() => {
    measured();
    return layout(rows().map((r) => heights.get(r.key) ?? estimate(r)));
  });
  const windowed = createMemo(() => {
    const { start, end } = visibleWindow(geometry().offsets, scrollTop(), viewport(), OVERSCAN_PX);
    return rows().slice(start, end);
  });
  const indexOf = createMemo(() => new Map(rows().map((r, i) => [r.key, i])));

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

  const remember = () => {
    if (scroller === undefined) return;
    const top = scroller.scrollTop;
    atBottom = scroller.scrollHeight - top - scroller.clientHeight < BOTTOM_SLACK_PX;
    const { offsets } = geometry();
    const first = windowed().find(
      (r) => (offsets[indexOf().get(r.key) ?? 0] ?? 0) + (heights.get(r.key) ?? 0) > top,
    );
    anchor =
      first === undefined
        ? null
        : { key: first.key, delta: top - (offsets[indexOf().get(first.key) ?? 0] ?? 0) };
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
  // row the reader is on where it was.
  createEffect(
    on(geometry, (g) => {
      if (scroller === undefined) return;
      let target: number | null = null;
      if (atBottom) target = g.total;
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
        });
      }
    }),
  );

  onMount(() => {
    if (scroller === undefined) return;
    const el = scroller;
    const size = new ResizeObserver(() => setViewport(el.clientHeight));
    size.observe(el);
    onCleanup(() => size.disconnect());
    setViewport(el.clientHeight);
  });

  const observe = (el: HTMLDivElement) => {
    resizer.observe(el);
    onCleanup(() => resizer.unobserve(el));
  };

  return (
    <div
      class="messages"
      ref={scroller}
      onScroll={onScroll}
      role="log"
      aria-label={props.label}
      aria-live="polite"
      aria-relevant="additions"
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
              ref={observe}
              style={{
                transform: `translateY(${geometry().offsets[indexOf().get(row.key) ?? 0] ?? 0}px)`,
              }}
            >
              {row.kind === 'day' ? (
                <div class="day-sep">
                  <span>{dayLabel(row.at, props.now)}</span>
                </div>
              ) : (
                <MessageRow message={row.message} showSender={row.showSender} now={props.now} />
              )}
            </div>
          )}
        </For>
      </div>
    </div>
  );
}
