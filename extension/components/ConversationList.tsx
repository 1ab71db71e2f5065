/**
 * Conversations, most recent first, with unread counts and the last message.
 * The list is one Tab stop (roving tabindex: the entry last focused, else the
 * first); arrow keys, Home and End move between entries; Enter or Space opens
 * one (docs/extension.md, "Focus and keyboard").
 */
import { createSignal, For, type JSX, Show } from 'solid-js';
import {
  knownPresence,
  membersLabel,
  presenceLabel,
  shortWhen,
  timerLabel,
  typingLabel,
  unreadLabel,
} from '../lib/format.ts';
import { type ConversationSummary, ONLINE_WINDOW_MS, type RelayStatus } from '../lib/protocol.ts';
import { Avatar } from './Avatar.tsx';
import { Icon } from './Icon.tsx';
import { MessageStatus } from './MessageStatus.tsx';

/** Who wrote the last message, as the list says it: "You", a group member, or nobody (direct). */
function lastAuthor(c: ConversationSummary): string | null {
  const last = c.lastMessage;
  if (last === null || last.kind === 'system') return null;
  if (last.outgoing) return 'You';
  return c.kind === 'group' ? (last.senderHandle ?? null) : null;
}

function previewText(c: ConversationSummary): string {
  if (c.typing !== undefined && c.typing.length > 0)
    return c.kind === 'group' ? (typingLabel(c.typing) ?? 'typing…') : 'typing…';
  if (c.lastMessage === null) return 'No messages yet';
  const author = lastAuthor(c);
  return author === null || author === 'You'
    ? c.lastMessage.text
    : `${author}: ${c.lastMessage.text}`;
}

/** Never while the relay is unreachable: then we cannot know. */
function isOnline(c: ConversationSummary, now: number, relay: RelayStatus | undefined): boolean {
  return presenceLabel(knownPresence(c.presence, relay), now, ONLINE_WINDOW_MS) === 'online';
}

function accessibleName(
  c: ConversationSummary,
  now: number,
  relay: RelayStatus | undefined,
): string {
  const parts = [c.title];
  if (c.verified) parts.push('verified');
  if (c.group !== undefined) parts.push(`group, ${membersLabel(c.group.memberCount)}`);
  if (c.unread > 0) parts.push(`${c.unread} unread`);
  if (c.identityChanged) parts.push('safety number changed');
  if (c.isRequest) parts.push('message request');
  if (c.draft !== undefined) parts.push(`draft: ${c.draft}`);
  if (c.blocked) parts.push('blocked');
  if (isOnline(c, now, relay)) parts.push('online');
  if (c.timerMs !== undefined) parts.push(`disappearing messages ${timerLabel(c.timerMs)}`);
  if (c.typing !== undefined && c.typing.length > 0) parts.push(typingLabel(c.typing) ?? '');
  if (c.lastMessage !== null) {
    const author = lastAuthor(c) ?? (c.lastMessage.kind === 'system' ? null : c.title);
    parts.push(author === null ? c.lastMessage.text : `${author}: ${c.lastMessage.text}`);
    parts.push(shortWhen(c.lastMessage.at, now));
  }
  return parts.join(', ');
}

function moveFocus(list: HTMLElement, from: HTMLElement, key: string): boolean {
  const items = [...list.querySelectorAll<HTMLElement>('button.conv')];
  const i = items.indexOf(from);
  const target =
    key === 'ArrowDown'
      ? items[Math.min(items.length - 1, i + 1)]
      : key === 'ArrowUp'
        ? items[Math.max(0, i - 1)]
        : key === 'Home'
          ? items[0]
          : key === 'End'
            ? items[items.length - 1]
            : undefined;
  if (target === undefined) return false;
  target.focus();
  return true;
}

export function ConversationList(props: {
  conversations: readonly ConversationSummary[];
  now: number;
  /** The relay connection: presence is unknown while it is down. */
  relay?: RelayStatus | undefined;
  selected?: string | null;
  onOpen: (id: string) => void;
}): JSX.Element {
  let list: HTMLUListElement | undefined;
  /** The entry that takes Tab into the list; the first one until another is focused. */
  const [current, setCurrent] = createSignal<string | null>(props.selected ?? null);
  const tabStop = () => {
    const id = current();
    return id !== null && props.conversations.some((c) => c.id === id)
      ? id
      : (props.conversations[0]?.id ?? null);
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if (list === undefined || !(e.target instanceof HTMLElement)) return;
    if (moveFocus(list, e.target, e.key)) e.preventDefault();
  };
  return (
    <ul class="conv-list" aria-label="Conversations" ref={list} onKeyDown={onKeyDown}>
      <For each={props.conversations}>
        {(c) => (
          <li>
            <button
              type="button"
              class={`conv${c.unread > 0 ? ' conv--unread' : ''}${c.blocked ? ' conv--blocked' : ''}`}
              aria-current={props.selected === c.id ? 'true' : undefined}
              tabindex={tabStop() === c.id ? 0 : -1}
              data-autofocus={tabStop() === c.id ? '' : undefined}
              data-conversation-id={c.id}
              onFocus={() => setCurrent(c.id)}
              onClick={() => props.onOpen(c.id)}
            >
              {/*
               * The name is this sentence, read from content, not an aria-label: it starts
               * with the visible title, and the row's visual shorthand (chips, time, pill)
               * is hidden from it instead of contradicting it (WCAG 2.5.3 Label in Name).
               */}
              <span class="sr-only">{accessibleName(c, props.now, props.relay)}</span>
              <Avatar
                name={c.title}
                group={c.kind === 'group'}
                online={isOnline(c, props.now, props.relay)}
              />
              <span class="conv__body" aria-hidden="true">
                <span class="conv__row">
                  <span class="conv__name">{c.title}</span>
                  <Show when={c.verified}>
                    <span class="verified-chip" title="Verified">
                      <Icon name="shieldCheck" />
                    </span>
                  </Show>
                  <Show when={c.timerMs}>
                    {(ms) => (
                      <span class="timer-chip" title={`Disappearing messages: ${timerLabel(ms())}`}>
                        <Icon name="timer" />
                      </span>
                    )}
                  </Show>
                  <Show when={c.isRequest}>
                    <span class="tag">Request</span>
                  </Show>
                  <Show when={c.blocked}>
                    <span class="tag tag--danger">Blocked</span>
                  </Show>
                  <Show when={c.lastMessage}>
                    {(m) => <span class="conv__time">{shortWhen(m().at, props.now)}</span>}
                  </Show>
                </span>
                <span class="conv__row">
                  <span class="conv__preview">
                    <Show when={c.identityChanged}>
                      <span class="warn-chip" title="Safety number changed">
                        <Icon name="alert" />
                      </span>
                    </Show>
                    <Show
                      when={
                        c.lastMessage?.outgoing && c.draft === undefined ? c.lastMessage : undefined
                      }
                    >
                      {(m) => <MessageStatus state={m().state} />}
                    </Show>
                    <Show
                      when={
                        (c.typing === undefined || c.typing.length === 0) && c.draft !== undefined
                      }
                      fallback={
                        <span
                          class={
                            c.typing !== undefined && c.typing.length > 0
                              ? 'conv__typing'
                              : c.lastMessage?.kind === 'system'
                                ? 'conv__notice'
                                : undefined
                          }
                        >
                          {previewText(c)}
                        </span>
                      }
                    >
                      <span class="conv__draft">
                        <span class="conv__draft-label">Draft:</span> {c.draft}
                      </span>
                    </Show>
                  </span>
                  <Show when={c.unread > 0}>
                    <span class="unread-pill" aria-hidden="true">
                      {unreadLabel(c.unread)}
                    </span>
                  </Show>
                </span>
              </span>
            </button>
          </li>
        )}
      </For>
    </ul>
  );
}
