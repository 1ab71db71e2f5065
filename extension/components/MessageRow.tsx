/**
 * One row of the chat history: a message bubble or a timeline notice. The
 * row reads its message from a keyed store, so a state change (delivered,
 * read) or a countdown updates text in place and the node stays (a selection
 * in it survives). Addresses in the text are links built as DOM nodes
 * (lib/linkify.ts), never parsed HTML.
 */
import { createEffect, createMemo, createSignal, For, type JSX, onCleanup, Show } from 'solid-js';
import { clockTime, countdown, fullDateTime, timerLabel, timerShort } from '../lib/format.ts';
import { linkify } from '../lib/linkify.ts';
import type { MessageView } from '../lib/protocol.ts';
import { MessageAttachment } from './attachments/MessageAttachment.tsx';
import { Icon, type IconName } from './Icon.tsx';
import { MessageStatus } from './MessageStatus.tsx';

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

/** The disappearing-message mark: time left once counting (its own 1 s clock), else the timer. */
function Expiry(props: { message: MessageView }): JSX.Element {
  const [now, setNow] = createSignal(Date.now());
  createEffect(() => {
    if (props.message.expiresAt === undefined) return;
    setNow(Date.now());
    const tick = setInterval(() => setNow(Date.now()), 1_000);
    onCleanup(() => clearInterval(tick));
  });
  const left = () => {
    const { expiresAt, expiresIn } = props.message;
    if (expiresAt !== undefined) return countdown(expiresAt - now());
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

/** Message text with safe addresses as links that open in a new tab, without a referrer. */
function MessageText(props: { text: string }): JSX.Element {
  const parts = createMemo(() => linkify(props.text));
  return (
    <For each={parts()}>
      {(part) =>
        part.kind === 'link' ? (
          <a class="bubble__link" href={part.href} target="_blank" rel="noopener noreferrer">
            {part.text}
          </a>
        ) : (
          part.text
        )
      }
    </For>
  );
}

export function MessageRow(props: {
  message: MessageView;
  showSender: boolean;
  /** The last message of a cluster shows the time; every message has it on hover. */
  showTime: boolean;
}): JSX.Element {
  const m = () => props.message;
  const disappearing = () => m().expiresAt !== undefined || m().expiresIn !== undefined;
  const when = () => fullDateTime(m().sentAt);
  return (
    <Show
      when={m().kind === 'text'}
      fallback={
        <div class="system-line" role="note" data-system={m().system} title={when()}>
          <span class="system-line__pill">
            <Icon name={noticeIcon(m().system)} />
            <span>{m().text}</span>
          </span>
        </div>
      }
    >
      <div class={`bubble-row bubble-row--${m().outgoing ? 'out' : 'in'}`}>
        <div class="bubble" title={when()}>
          <Show when={props.showSender}>
            <div class="bubble__sender" aria-hidden="true">
              {m().senderHandle}
            </div>
          </Show>
          <span class="sr-only">{m().outgoing ? 'You' : m().senderHandle}: </span>
          <For each={m().attachments ?? []}>
            {(attachment) => <MessageAttachment attachment={attachment} />}
          </For>
          <MessageText text={m().text} />
          <span class="sr-only">, {when()}</span>
          <div class="bubble__meta">
            <Show when={disappearing()}>
              <Expiry message={m()} />
            </Show>
            <Show when={props.showTime}>
              <time dateTime={new Date(m().sentAt).toISOString()} aria-hidden="true">
                {clockTime(m().sentAt)}
              </time>
            </Show>
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
