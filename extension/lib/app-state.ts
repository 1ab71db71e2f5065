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

  // One list request at a time: a page that opens gets its status twice (the
  // answer to getStatus and the port's greeting) and must not fetch the list
  // for each. `fresh` asks for one more fetch after an in-flight one (the
  // list changed meanwhile); otherwise callers share the in-flight request.
  let loading: Promise<void> | undefined;
  let again = false;
  const loadConversations = (s: AppStatus | null, fresh: boolean): Promise<void> => {
    if (s?.vault !== 'unlocked') {
      setConversations(null);
      return Promise.resolve();
    }
    if (loading !== undefined) {
      again ||= fresh;
      return loading;
    }
    loading = (async () => {
      do {
        again = false;
        try {
          setConversations(await call('listConversations'));
        } catch (e) {
          setProblem(describeError(e));
        }
      } while (again && status()?.vault === 'unlocked');
    })().finally(() => {
      loading = undefined;
    });
    return loading;
  };

  /** `listed`: the caller already has the list that goes with this status. */
  const applyStatus = (s: AppStatus, listed = false): Promise<void> => {
    const before = status();
    setStatus(s);
    setProblem(null);
    if (listed) return Promise.resolve();
    if (before?.vault !== s.vault) return loadConversations(s, true);
    if (conversations() === null) return loadConversations(s, false);
    return Promise.resolve();
  };

  const refresh = async () => {
    // The list is asked for together with the status, not after it: one round
    // trip to the worker instead of two before the first screen. While locked
    // the list request fails (VAULT_LOCKED) and is ignored.
    const list = call('listConversations').then(
      (value) => value,
      () => null,
    );
    try {
      const s = await call('getStatus');
      const early = s.vault === 'unlocked' ? await list : null;
      if (early !== null) setConversations(early);
      const listed = applyStatus(s, early !== null);
      // A re-sync after missed events lists again even if the vault did not change.
      if (early === null) await (conversations() === null ? listed : loadConversations(s, true));
    } catch (e) {
      setProblem(describeError(e));
    }
  };

  const handle = (event: PageEvent) => {
    switch (event.type) {
      case 'status':
        void applyStatus(event.status);
        break;
      case 'conversations':
        void loadConversations(status(), true);
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
