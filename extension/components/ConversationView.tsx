/**
 * One conversation: header (presence, members, timer), history
 * (virtualised), who is typing, and the composer, or what stands in its way:
 * the blocking notice after an identity change, a message request, a blocked
 * contact, a group we are no longer in. Keeps itself current from worker
 * events (disappeared messages leave at once) and marks what the reader has
 * seen as read.
 */
import {
  createEffect,
  createMemo,
  createSignal,
  type JSX,
  Match,
  on,
  onCleanup,
  onMount,
  Show,
  Switch,
} from 'solid-js';
import type { ParleyState } from '../lib/app-state.ts';
import { describeError } from '../lib/errors.ts';
import {
  knownPresence,
  membersLabel,
  presenceLabel,
  timerLabel,
  timerShort,
  typingLabel,
} from '../lib/format.ts';
import { mergeMessages, reconcileLatest, withoutIds } from '../lib/messages.ts';
import { type ConversationSummary, type MessageView, ONLINE_WINDOW_MS } from '../lib/protocol.ts';
import { call } from '../lib/rpc-client.ts';
import { Avatar } from './Avatar.tsx';
import { BackButton } from './BackButton.tsx';
import { Composer } from './Composer.tsx';
import { EmptyState } from './EmptyState.tsx';
import { Icon } from './Icon.tsx';
import { IdentityNotice } from './IdentityNotice.tsx';
import { MessageList } from './MessageList.tsx';
import { BlockedNotice, NotMemberNotice, RequestBanner } from './RequestBanner.tsx';

const PAGE = 50;

export function ConversationView(props: {
  state: ParleyState;
  conversationId: string;
  onBack: () => void;
  /** Side panel: the contact page (direct) or the group page. */
  onOpenDetails?: () => void;
  onOpenInPanel?: () => void;
}): JSX.Element {
  const [messages, setMessages] = createSignal<readonly MessageView[]>([]);
  const [before, setBefore] = createSignal<string | null>(null);
  const [loadingOlder, setLoadingOlder] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  const [loaded, setLoaded] = createSignal(false);

  const summary = createMemo<ConversationSummary | undefined>(() =>
    props.state.conversations()?.find((c) => c.id === props.conversationId),
  );
  const title = () => summary()?.title ?? 'Conversation';
  const isGroup = () => summary()?.kind === 'group';
  const [typing, setTyping] = createSignal<readonly string[]>(summary()?.typing ?? []);
  /** Disappearing messages whose countdown ended leave the view even before the worker's sweep. */
  const shown = createMemo(() => {
    const now = props.state.now();
    return messages().filter((m) => m.expiresAt === undefined || m.expiresAt > now);
  });
  /** Presence as far as we can know it (never "online" while the relay is unreachable). */
  const presenceNow = () => knownPresence(summary()?.presence, props.state.status()?.relay);
  const subtitle = () => {
    const c = summary();
    if (c === undefined) return 'End-to-end encrypted';
    if (c.group !== undefined) {
      return c.group.myRole === null
        ? 'You are no longer a member'
        : membersLabel(c.group.memberCount);
    }
    const presence = presenceLabel(presenceNow(), props.state.now(), ONLINE_WINDOW_MS);
    if (c.verified)
      return presence === null ? 'Verified contact' : `Verified contact · ${presence}`;
    return presence ?? (c.isRequest ? 'Message request' : 'End-to-end encrypted');
  };

  // Decided by the messages on screen, not by the list's unread count: the two
  // arrive separately, and a count that already moved on must not leave a
  // message unread (its disappearing countdown starts only when it is read).
  const markSeen = (list: readonly MessageView[]) => {
    const last = [...list].reverse().find((m) => !m.outgoing);
    if (
      last === undefined ||
      !list.some((m) => !m.outgoing && m.state === 'received') ||
      document.visibilityState !== 'visible'
    )
      return;
    call('markRead', { conversationId: props.conversationId, upTo: last.id }).catch(() => {
      // The worker may be restarting: look again shortly (a no-op if it was read meanwhile).
      setTimeout(() => {
        if (!disposed) markSeen(messages());
      }, 1_000);
    });
  };
  let disposed = false;
  onCleanup(() => {
    disposed = true;
  });

  // The list (with the unread count) and the messages arrive separately after
  // an event; whichever comes second decides, so look again when the count rises.
  createEffect(
    on(
      () => summary()?.unread ?? 0,
      (unread) => {
        if (unread > 0) markSeen(messages());
      },
      { defer: true },
    ),
  );

  const loadLatest = async () => {
    try {
      const page = await call('getMessages', { conversationId: props.conversationId, limit: PAGE });
      const merged = reconcileLatest(messages(), page);
      setMessages(merged);
      if (messages().length === page.messages.length) setBefore(page.before);
      setError(null);
      setLoaded(true);
      markSeen(merged);
    } catch (e) {
      setError(describeError(e));
    }
  };

  const loadOlder = async () => {
    const cursor = before();
    if (cursor === null || loadingOlder()) return;
    setLoadingOlder(true);
    try {
      const page = await call('getMessages', {
        conversationId: props.conversationId,
        before: cursor,
        limit: PAGE,
      });
      setMessages(mergeMessages(messages(), page.messages));
      setBefore(page.before);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setLoadingOlder(false);
    }
  };

  onMount(() => {
    // Say which conversation is on screen, so the worker does not notify
    // about messages the person is reading; hidden tabs and panels do not count.
    const signalViewing = () => {
      const visible = document.visibilityState === 'visible';
      props.state.viewing(visible ? props.conversationId : null);
      if (visible) markSeen(messages());
    };
    signalViewing();
    document.addEventListener('visibilitychange', signalViewing);
    onCleanup(() => {
      document.removeEventListener('visibilitychange', signalViewing);
      props.state.viewing(null);
    });
    void loadLatest();
    const off = props.state.on((event) => {
      if (
        (event.type === 'messages' && event.conversationId === props.conversationId) ||
        event.type === 'resync'
      ) {
        void loadLatest();
      } else if (event.type === 'expired' && event.conversationId === props.conversationId) {
        setMessages(withoutIds(messages(), event.ids));
      } else if (event.type === 'typing' && event.conversationId === props.conversationId) {
        setTyping(event.handles);
      }
    });
    onCleanup(off);
  });

  const send = async (text: string) => {
    const sent = await call('sendText', { conversationId: props.conversationId, text });
    setMessages(mergeMessages(messages(), [sent]));
  };

  const reportTyping = (on: boolean) => {
    call('sendTyping', { conversationId: props.conversationId, typing: on }).catch(() => undefined);
  };

  /** What stands where the composer would be, if anything. */
  const gate = (): 'identity' | 'request' | 'blocked' | 'left' | null => {
    const c = summary();
    if (c === undefined) return null;
    if (c.identityChanged) return 'identity';
    if (c.blocked) return 'blocked';
    // A direct request keeps its composer (replying accepts); a group needs Accept first.
    if (c.isRequest && c.kind === 'group') return 'request';
    if (c.group !== undefined && c.group.myRole === null) return 'left';
    return null;
  };

  return (
    <div class="view">
      <header class="chat-head">
        <BackButton label="Back to conversations" onBack={props.onBack} />
        <button
          type="button"
          class="chat-head__who"
          onClick={() => props.onOpenDetails?.()}
          disabled={props.onOpenDetails === undefined}
          aria-label={
            isGroup()
              ? `${title()}: group details and members`
              : `${title()}: contact details and safety number`
          }
        >
          <Avatar
            name={title()}
            size="sm"
            group={isGroup()}
            online={presenceLabel(presenceNow(), props.state.now(), ONLINE_WINDOW_MS) === 'online'}
          />
          <span style={{ 'min-width': '0' }}>
            <span class="chat-head__name">
              <span class="chat-head__title">{title()}</span>
              <Show when={summary()?.verified}>
                <span class="verified-chip" title="Verified">
                  <Icon name="shieldCheck" />
                </span>
              </Show>
            </span>
            <span class="chat-head__sub">{subtitle()}</span>
          </span>
        </button>
        <Show when={summary()?.timerMs}>
          {(ms) => (
            <span
              class="timer-badge"
              role="img"
              aria-label={`Disappearing messages: ${timerLabel(ms())}`}
              title={`Disappearing messages: ${timerLabel(ms())}`}
            >
              <Icon name="timer" />
              <span aria-hidden="true">{timerShort(ms())}</span>
            </span>
          )}
        </Show>
        <Show when={props.onOpenInPanel}>
          {(open) => (
            <button
              type="button"
              class="icon-btn"
              onClick={() => open()()}
              aria-label="Open in side panel"
            >
              <Icon name="panel" />
            </button>
          )}
        </Show>
      </header>
      <Show when={error()}>
        <div class="banner banner--error" role="alert">
          <Icon name="alert" />
          <span>{error()}</span>
        </div>
      </Show>
      <Show when={loaded() && shown().length === 0}>
        <EmptyState icon="lock" title="No messages yet">
          <p>
            Say hello. Everything you send is end-to-end encrypted; the relay only ever sees
            ciphertext.
          </p>
        </EmptyState>
      </Show>
      <MessageList
        messages={shown()}
        hasMore={before() !== null}
        loading={loadingOlder()}
        onLoadOlder={() => void loadOlder()}
        now={props.state.now()}
        label={`Messages with ${title()}`}
        group={isGroup()}
      />
      <div class="typing-line" role="status" aria-live="polite">
        <Show when={typingLabel(typing())}>
          {(label) => (
            <>
              <span class="typing-dots" aria-hidden="true">
                <span />
                <span />
                <span />
              </span>
              <span>{label()}</span>
            </>
          )}
        </Show>
      </div>
      <Show when={gate() === null && summary()?.isRequest ? summary() : undefined}>
        {(c) => <RequestBanner conversation={c()} onGone={props.onBack} />}
      </Show>
      <Switch
        fallback={
          <Composer
            onSend={send}
            onTyping={reportTyping}
            placeholder={`Message ${title()}`}
            autofocus
          />
        }
      >
        <Match when={gate() === 'identity'}>
          <IdentityNotice
            conversationId={props.conversationId}
            name={title()}
            {...(props.onOpenDetails === undefined ? {} : { onReview: props.onOpenDetails })}
          />
        </Match>
        <Match when={gate() === 'request' ? summary() : undefined}>
          {(c) => <RequestBanner conversation={c()} onGone={props.onBack} />}
        </Match>
        <Match when={gate() === 'blocked' ? summary() : undefined}>
          {(c) => <BlockedNotice conversation={c()} onGone={props.onBack} />}
        </Match>
        <Match when={gate() === 'left' ? summary() : undefined}>
          {(c) => <NotMemberNotice conversation={c()} onGone={props.onBack} />}
        </Match>
      </Switch>
    </div>
  );
}
