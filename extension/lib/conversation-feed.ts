/**
 * One conversation's data for the page that shows it: the loaded history
 * (newest page first, older pages on demand, back to the first unread one
 * when it opens), who is typing, sending, and "read" for what the reader has
 * seen. Kept current from worker events
 * (disappeared messages leave at once); tells the worker which conversation
 * is on screen so it does not notify about it.
 *
 * The conversation id is read at each use (a side panel can be asked to show
 * another conversation while this one is open).
 *
 * Runs in: pages (Solid).
 */
import { type Accessor, createMemo, createSignal, onCleanup, onMount, untrack } from 'solid-js';
import type { ParleyState } from './app-state.ts';
import { forgetDownloads } from './attachments/use-transfer.ts';
import { describeError } from './errors.ts';
import { isUnread, type UnreadMark, unreadMark } from './history-rows.ts';
import { attachmentIdsOf, mergeMessages, reconcileLatest, withoutIds } from './messages.ts';
import type { MessageView } from './protocol.ts';
import { call } from './rpc-client.ts';

const PAGE = 50;
/** How far back a chat that opens looks for its first unread message (pages of PAGE). */
const MAX_UNREAD_PAGES = 10;

export interface ConversationFeed {
  /** Everything loaded, oldest first (disappeared ones may linger until the next tick). */
  readonly messages: Accessor<readonly MessageView[]>;
  /** Older history exists that is not loaded yet. */
  readonly hasMore: Accessor<boolean>;
  readonly loadingOlder: Accessor<boolean>;
  /** The newest page has arrived once (and, with unread messages, the first of them). */
  readonly loaded: Accessor<boolean>;
  /** Where the unread messages started when the chat opened; fixed while it is open. */
  readonly unread: Accessor<UnreadMark | null>;
  /** Incoming messages loaded and not read yet. */
  readonly unreadNow: Accessor<number>;
  /** The reader saw this incoming message: mark it and everything before it read. */
  markSeen(id: string): void;
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
  const [unread, setUnread] = createSignal<UnreadMark | null>(null);

  // Read is decided by what the reader saw (the history reports messages in
  // view while the page is visible), never by opening the chat: a message
  // that arrives while they are scrolled up stays unread, and its sender sees
  // no read receipt, until it is shown (docs/extension.md, "Reading and
  // unread"). Read marks everything up to the newest message seen.
  let requested = '';
  const markSeen = (id: string) => {
    if (disposed || id <= requested) return;
    if (!messages().some((m) => !m.outgoing && m.state === 'received' && m.id <= id)) return;
    const before = requested;
    requested = id;
    call('markRead', { conversationId: conversationId(), upTo: id }).catch(() => {
      // The worker may be restarting: try again shortly (a no-op if it was read meanwhile).
      if (requested === id) requested = before;
      setTimeout(() => markSeen(id), 1_000);
    });
  };
  let disposed = false;
  onCleanup(() => {
    disposed = true;
  });

  const loadLatest = async () => {
    try {
      const page = await call('getMessages', { conversationId: conversationId(), limit: PAGE });
      const merged = reconcileLatest(messages(), page);
      setMessages(merged);
      if (messages().length === page.messages.length) setBefore(page.before);
      setError(null);
      if (!loaded()) {
        opening ??= openAtUnread();
        await opening;
      }
      setLoaded(true);
    } catch (e) {
      setError(describeError(e));
    }
  };

  /**
   * Before the history first shows: loads older pages until the first unread
   * message is there (the list's count says how many there are), and fixes
   * where the "N unread messages" divider goes for as long as the chat is open.
   */
  let opening: Promise<void> | undefined;
  const openAtUnread = async () => {
    const wanted = untrack(options.unread);
    for (let page = 0; page < MAX_UNREAD_PAGES; page++) {
      if (messages().filter(isUnread).length >= wanted || before() === null) break;
      await loadOlder();
    }
    setUnread(unreadMark(messages()));
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
        forgetDownloads(attachmentIdsOf(messages(), event.ids));
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
    unread,
    unreadNow: () => messages().filter(isUnread).length,
    markSeen,
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
