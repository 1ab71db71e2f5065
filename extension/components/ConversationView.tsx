/**
 * One conversation: header, history (virtualised), composer, or the blocking
 * notice after an identity change. Keeps itself current from worker events
 * and marks what the reader has seen as read.
 */
import { createMemo, createSignal, type JSX, onCleanup, onMount, Show } from 'solid-js';
import type { ParleyState } from '../lib/app-state.ts';
import { describeError } from '../lib/errors.ts';
import { mergeMessages } from '../lib/messages.ts';
import type { ConversationSummary, MessageView } from '../lib/protocol.ts';
import { call } from '../lib/rpc-client.ts';
import { Avatar } from './Avatar.tsx';
import { Composer } from './Composer.tsx';
import { EmptyState } from './EmptyState.tsx';
import { Icon } from './Icon.tsx';
import { IdentityNotice } from './IdentityNotice.tsx';
import { MessageList } from './MessageList.tsx';

const PAGE = 50;

export function ConversationView(props: {
  state: ParleyState;
  conversationId: string;
  onBack: () => void;
  onOpenContact?: () => void;
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

  const markSeen = (list: readonly MessageView[]) => {
    const last = [...list].reverse().find((m) => !m.outgoing);
    if (
      last === undefined ||
      (summary()?.unread ?? 0) === 0 ||
      document.visibilityState !== 'visible'
    )
      return;
    call('markRead', { conversationId: props.conversationId, upTo: last.id }).catch(
      () => undefined,
    );
  };

  const loadLatest = async () => {
    try {
      const page = await call('getMessages', { conversationId: props.conversationId, limit: PAGE });
      const merged = mergeMessages(messages(), page.messages);
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
      }
    });
    onCleanup(off);
  });

  const send = async (text: string) => {
    const sent = await call('sendText', { conversationId: props.conversationId, text });
    setMessages(mergeMessages(messages(), [sent]));
  };

  return (
    <div class="view">
      <header class="chat-head">
        <button
          type="button"
          class="icon-btn"
          onClick={() => props.onBack()}
          aria-label="Back to conversations"
        >
          <Icon name="back" />
        </button>
        <button
          type="button"
          class="chat-head__who"
          onClick={() => props.onOpenContact?.()}
          disabled={props.onOpenContact === undefined}
          aria-label={`${title()}: contact details and safety number`}
        >
          <Avatar name={title()} size="sm" />
          <span style={{ 'min-width': '0' }}>
            <span class="chat-head__name">
              {title()}
              <Show when={summary()?.verified}>
                <span class="verified-chip" title="Verified">
                  <Icon name="shieldCheck" />
                </span>
              </Show>
            </span>
            <span class="chat-head__sub">
              {summary()?.verified ? 'Verified contact' : 'End-to-end encrypted'}
            </span>
          </span>
        </button>
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
      <Show when={loaded() && messages().length === 0}>
        <EmptyState icon="lock" title="No messages yet">
          <p>
            Say hello. Everything you send is end-to-end encrypted; the relay only ever sees
            ciphertext.
          </p>
        </EmptyState>
      </Show>
      <MessageList
        messages={messages()}
        hasMore={before() !== null}
        loading={loadingOlder()}
        onLoadOlder={() => void loadOlder()}
        now={props.state.now()}
        label={`Messages with ${title()}`}
      />
      <Show
        when={!summary()?.identityChanged}
        fallback={
          <IdentityNotice
            conversationId={props.conversationId}
            name={title()}
            {...(props.onOpenContact === undefined ? {} : { onReview: props.onOpenContact })}
          />
        }
      >
        <Composer onSend={send} placeholder={`Message ${title()}`} autofocus />
      </Show>
    </div>
  );
}
