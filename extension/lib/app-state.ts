/**
 * What every page shows at the top level, kept live: the status (vault,
 * onboarding, relay) and the conversation list, refreshed from worker events.
 * Components subscribe to finer events (messages of one conversation, contact
 * changes, focus requests) through `on`.
 *
 * Runs in: pages (Solid).
 */
import { type Accessor, createSignal, onCleanup } from 'solid-js';
import { describeError } from './errors.ts';
import { type PageEvent, subscribe } from './events.ts';
import type { AppStatus, ConversationSummary, ParleyEvent } from './protocol.ts';
import { call } from './rpc-client.ts';

type Listener = (event: PageEvent) => void;

export interface ParleyState {
  readonly status: Accessor<AppStatus | null>;
  readonly conversations: Accessor<readonly ConversationSummary[] | null>;
  /** A sentence for the page when the worker cannot be reached. */
  readonly problem: Accessor<string | null>;
  /** Ticks every second while something counts down (relay retry), else rarely. */
  readonly now: Accessor<number>;
  refresh(): Promise<void>;
  on(listener: Listener): () => void;
  /** The conversation on screen (no notifications for it); null when none. */
  viewing(conversationId: string | null): void;
}

export function createParleyState(): ParleyState {
  const [status, setStatus] = createSignal<AppStatus | null>(null);
  const [conversations, setConversations] = createSignal<readonly ConversationSummary[] | null>(
    null,
  );
  const [problem, setProblem] = createSignal<string | null>(null);
  const [now, setNow] = createSignal(Date.now());
  const listeners = new Set<Listener>();

  const tick = setInterval(() => setNow(Date.now()), 1_000);
  onCleanup(() => clearInterval(tick));

  const loadConversations = async (s: AppStatus | null) => {
    if (s?.vault !== 'unlocked') {
      setConversations(null);
      return;
    }
    try {
      setConversations(await call('listConversations'));
    } catch (e) {
      setProblem(describeError(e));
    }
  };

  const applyStatus = (s: AppStatus) => {
    const before = status();
    setStatus(s);
    setProblem(null);
    if (before?.vault !== s.vault || conversations() === null) void loadConversations(s);
  };

  const refresh = async () => {
    try {
      applyStatus(await call('getStatus'));
      await loadConversations(status());
    } catch (e) {
      setProblem(describeError(e));
    }
  };

  const handle = (event: PageEvent) => {
    switch (event.type) {
      case 'status':
        applyStatus(event.status);
        break;
      case 'conversations':
        void loadConversations(status());
        break;
      case 'resync':
        void refresh();
        break;
      default:
        break;
    }
    for (const l of listeners) l(event);
  };

  const subscription = subscribe(handle);
  onCleanup(() => subscription.close());
  void refresh();

  return {
    status,
    conversations,
    problem,
    now,
    refresh,
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    viewing: (conversationId) => subscription.viewing(conversationId),
  };
}

export type { ParleyEvent };
