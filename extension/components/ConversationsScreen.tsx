/**
 * The first screen of the chat: the top bar, "start a chat" when open, and
 * the conversations (all, or only message requests), or an empty state that
 * invites to start one.
 */
import { createComputed, createSignal, type JSX, Show } from 'solid-js';
import { createStore, reconcile } from 'solid-js/store';
import type { ParleyState } from '../lib/app-state.ts';
import { pageTitle, useDocumentTitle } from '../lib/document-title.ts';
import { focusSoon } from '../lib/focus.ts';
import type { ConversationSummary } from '../lib/protocol.ts';
import { ConversationList } from './ConversationList.tsx';
import { EmptyState } from './EmptyState.tsx';
import { Icon } from './Icon.tsx';
import { StartChat } from './StartChat.tsx';
import { Topbar } from './Topbar.tsx';

export type ListFilter = 'all' | 'requests';

export function ConversationsScreen(props: {
  state: ParleyState;
  popup: boolean;
  composing: boolean;
  onCompose: (composing: boolean) => void;
  /** Kept by the shell, so coming back to the list keeps it. */
  filter: ListFilter;
  onFilter: (filter: ListFilter) => void;
  onOpen: (conversationId: string) => void;
  onOpenSettings: () => void;
  onOpenInPanel: () => void;
}): JSX.Element {
  useDocumentTitle(() => pageTitle({ unread: props.state.status()?.unread ?? 0 }));
  const conversations = () => props.state.conversations();
  const requests = () => (conversations() ?? []).filter((c) => c.isRequest === true);
  /** Search by name (Ctrl+K or "/" jumps here). */
  const [query, setQuery] = createSignal('');
  const listed = () => {
    const shown =
      props.filter === 'requests' && requests().length > 0 ? requests() : (conversations() ?? []);
    const q = query().trim().toLowerCase();
    return q === '' ? shown : shown.filter((c) => c.title.toLowerCase().includes(q));
  };
  /**
   * The listed entries, matched to the last list by id: a refreshed list (a
   * receipt, a new message) updates the rows in place instead of replacing
   * them, so the focused entry keeps focus.
   */
  const [rows, setRows] = createStore<{ list: ConversationSummary[] }>({ list: [] });
  createComputed(() => setRows('list', reconcile([...listed()], { key: 'id', merge: true })));
  const closeCompose = () => {
    props.onCompose(false);
    focusSoon(() => document.querySelector<HTMLElement>('[data-opens="compose"]'));
  };
  return (
    <main class="view">
      <Topbar
        relay={props.state.status()?.relay}
        popup={props.popup}
        composing={props.composing}
        onToggleCompose={() => props.onCompose(!props.composing)}
        onOpenSettings={props.onOpenSettings}
        onOpenInPanel={props.onOpenInPanel}
      />
      <Show when={props.composing}>
        <StartChat onStarted={props.onOpen} onCancel={closeCompose} />
      </Show>
      <Show
        when={(conversations()?.length ?? 0) > 0}
        fallback={
          <Show when={conversations() !== null && !props.composing}>
            <EmptyState icon="chat" title="No conversations yet">
              <p>
                Start a chat with someone’s handle. Only the two of you can read what you write.
              </p>
              <button
                type="button"
                class="btn btn--primary"
                onClick={() => props.onCompose(true)}
                data-autofocus
              >
                <Icon name="compose" />
                Start a chat
              </button>
            </EmptyState>
          </Show>
        }
      >
        <Show when={requests().length > 0}>
          <fieldset class="segmented segmented--bar">
            <legend class="sr-only">Show</legend>
            <button
              type="button"
              aria-pressed={props.filter === 'all'}
              onClick={() => props.onFilter('all')}
            >
              All chats
            </button>
            <button
              type="button"
              aria-pressed={props.filter === 'requests'}
              onClick={() => props.onFilter('requests')}
            >
              <span class="segmented__label" aria-hidden="true">
                Requests
                <span class="segmented__count">{requests().length}</span>
              </span>
              <span class="sr-only">{`Requests, ${requests().length} new`}</span>
            </button>
          </fieldset>
        </Show>
        <div class="list-search">
          <label class="sr-only" for="conversation-search">
            Search conversations
          </label>
          <input
            id="conversation-search"
            class="input"
            type="search"
            placeholder="Search"
            autocomplete="off"
            spellcheck={false}
            value={query()}
            data-shortcut="search"
            aria-keyshortcuts="Control+K /"
            onInput={(e) => setQuery(e.currentTarget.value)}
          />
        </div>
        <div class="scroll">
          <Show when={listed().length === 0}>
            <p class="hint list-search__none" role="status">
              No conversation matches “{query().trim()}”.
            </p>
          </Show>
          <ConversationList
            conversations={rows.list}
            now={props.state.now()}
            relay={props.state.status()?.relay}
            onOpen={props.onOpen}
          />
        </div>
      </Show>
    </main>
  );
}
