/**
 * One conversation's data for the page that shows it: the loaded history
 * (newest page first, older pages on demand), who is typing, sending, and
 * "read" for what the reader has seen. Kept current from worker events
 * (disappeared messages leave at once); tells the worker which conversation
 * is on screen so it does not notify about it.
 *
 * The conversation id is read at each use (a side panel can be asked to show
 * another conversation while this one is open).
 *
 * Runs in: pages (Solid).
 */
import {
  type Accessor,
  createEffect,
  createMemo,
  createSignal,
  on,
  onCleanup,
  onMount,
} from 'solid-js';
import type { ParleyState } from './app-state.ts';
import { describeError } from './errors.ts';
import { mergeMessages, reconcileLatest, withoutIds } from './messages.ts';
import type { MessageView } from './protocol.ts';
import { call } from './rpc-client.ts';

const PAGE = 50;

export interface ConversationFeed {
  /** Everything loaded, oldest first (disappeared ones may linger until the next tick). */
  readonly messages: Accessor<readonly MessageView[]>;
  /** Older history exists that is not loaded yet. */
  readonly hasMore: Accessor<boolean>;
  readonly loadingOlder: Accessor<boolean>;
  /** The newest page has arrived once. */
  readonly loaded: Accessor<boolean>;
  readonly error: Accessor<string | null>;
  /** Handles typing in this conversation now. */
  readonly typing: Accessor<readonly string[]>;
  loadOlder(): Promise<void>;
  /** Throws what the worker refused; the composer says it. */
  send(text: string): Promise<void>;
  reportTyping(typing: boolean): void;
}

export function createConversationFeed(options: {
  state: ParleyState;
  conversationId: Accessor<string>;
  /** The list's unread count for this conversation, and who it says is typing at first. */
  unread: Accessor<number>;
  typing: readonly string[];
}): ConversationFeed {
  const { state } = options;
  // A memo keeps the last id after the view is gone: a late report (typing stopped on blur)
  // must not read the route's accessor once the route has moved on.
  const conversationId = createMemo(options.conversationId);
  const [messages, setMessages] = createSignal<readonly MessageView[]>([]);
  const [before, setBefore] = createSignal<string | null>(null);
  const [loadingOlder, setLoadingOlder] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  const [loaded, setLoaded] = createSignal(false);
  const [typing, setTyping] = createSignal<readonly string[]>(options.typing);

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
    call('markRead', { conversationId: conversationId(), upTo: last.id }).catch(() => {
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
      options.unread,
      (unread) => {
        if (unread > 0) markSeen(messages());
      },
      { defer: true },
    ),
  );

  const loadLatest = async () => {
    try {
      const page = await call('getMessages', { conversationId: conversationId(), limit: PAGE });
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
        conversationId: conversationId(),
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
      state.viewing(visible ? conversationId() : null);
      if (visible) markSeen(messages());
    };
    signalViewing();
    document.addEventListener('visibilitychange', signalViewing);
    onCleanup(() => {
      document.removeEventListener('visibilitychange', signalViewing);
      state.viewing(null);
    });
    void loadLatest();
    const off = state.on((event) => {
      if (
        (event.type === 'messages' && event.conversationId === conversationId()) ||
        event.type === 'resync'
      ) {
        void loadLatest();
      } else if (event.type === 'expired' && event.conversationId === conversationId()) {
        setMessages(withoutIds(messages(), event.ids));
      } else if (event.type === 'typing' && event.conversationId === conversationId()) {
        setTyping(event.handles);
      }
    });
    onCleanup(off);
  });

  return {
    messages,
    hasMore: () => before() !== null,
    loadingOlder,
    loaded,
    error,
    typing,
    loadOlder,
    async send(text) {
      const sent = await call('sendText', { conversationId: conversationId(), text });
      setMessages(mergeMessages(messages(), [sent]));
    },
    reportTyping(active) {
      call('sendTyping', { conversationId: conversationId(), typing: active }).catch(
        () => undefined,
      );
    },
  };
}
