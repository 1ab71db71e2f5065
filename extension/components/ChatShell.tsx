/**
 * The messenger UI shared by the popup and the side panel: decides between
 * setup, lock screen and the chat, and navigates list → conversation →
 * contact / settings. The popup is the quick variant (no contact page or
 * settings: those open in the side panel); the side panel is the full one.
 */
import {
  createEffect,
  createSignal,
  type JSX,
  lazy,
  Match,
  onCleanup,
  onMount,
  Show,
  Switch,
} from 'solid-js';
import { browser } from 'wxt/browser';
import logoUrl from '../assets/icon.svg';
import { reportActivity } from '../lib/activity.ts';
import { createParleyState } from '../lib/app-state.ts';
import { call } from '../lib/rpc-client.ts';
import { ConnectionBar } from './ConnectionBar.tsx';
import { ConversationList } from './ConversationList.tsx';
import { ConversationView } from './ConversationView.tsx';
import { EmptyState } from './EmptyState.tsx';
import { Icon } from './Icon.tsx';
import { LockScreen } from './LockScreen.tsx';
import { SetupPrompt } from './SetupPrompt.tsx';
import { StartChat } from './StartChat.tsx';

// Only the side panel shows these; loading them lazily keeps them (and the
// QR encoder, Kobalte) out of the popup's bundle.
const ContactPage = lazy(() =>
  import('./ContactPage.tsx').then((m) => ({ default: m.ContactPage })),
);
const SettingsPage = lazy(() =>
  import('./SettingsPage.tsx').then((m) => ({ default: m.SettingsPage })),
);
const GroupPage = lazy(() => import('./GroupPage.tsx').then((m) => ({ default: m.GroupPage })));

export type Variant = 'popup' | 'sidepanel';

type Route =
  | { readonly name: 'list' }
  | { readonly name: 'chat'; readonly id: string }
  | { readonly name: 'contact'; readonly id: string }
  | { readonly name: 'group'; readonly id: string }
  | { readonly name: 'settings' };

/**
 * Marked at the start of the frame that paints the first complete screen: the
 * status is known and, when unlocked, the conversation list is loaded (not a
 * loading placeholder or a bare top bar). bench/ui.ts reads it as "first render".
 */
export const FIRST_RENDER_MARK = 'parley:first-render';

export function ChatShell(props: { variant: Variant }): JSX.Element {
  const state = createParleyState();
  let marked = false;
  createEffect(() => {
    const status = state.status();
    const complete =
      state.problem() !== null ||
      (status !== null && (status.vault !== 'unlocked' || state.conversations() !== null));
    if (marked || !complete) return;
    marked = true;
    requestAnimationFrame(() => performance.mark(FIRST_RENDER_MARK));
  });
  const [route, setRoute] = createSignal<Route>({ name: 'list' });
  const [composing, setComposing] = createSignal(false);
  /** The list shows everything, or only message requests. */
  const [filter, setFilter] = createSignal<'all' | 'requests'>('all');
  const requests = () => (state.conversations() ?? []).filter((c) => c.isRequest === true);
  const listed = () =>
    filter() === 'requests' && requests().length > 0 ? requests() : (state.conversations() ?? []);
  let windowId: number | undefined;

  onMount(() => {
    onCleanup(reportActivity());
    void browser.windows
      .getCurrent()
      .then((w) => {
        windowId = w.id;
      })
      .catch(() => undefined);
    if (props.variant === 'sidepanel') {
      void call('takeFocus')
        .then(({ conversationId }) => {
          if (conversationId !== null) setRoute({ name: 'chat', id: conversationId });
        })
        .catch(() => undefined);
      onCleanup(
        state.on((event) => {
          if (event.type === 'focus') setRoute({ name: 'chat', id: event.conversationId });
        }),
      );
    }
  });

  /** Must run inside the click: Chrome opens the side panel only in response to a user action. */
  const openInSidePanel = (conversationId?: string) => {
    if (windowId === undefined) return;
    void browser.sidePanel.open({ windowId }).then(() => {
      if (conversationId !== undefined) void call('setFocus', { conversationId });
      if (props.variant === 'popup') window.close();
    });
  };

  const openChat = (id: string) => {
    setComposing(false);
    setRoute({ name: 'chat', id });
  };

  const status = () => state.status();
  /** The conversation id of the current route, if it is a route of that kind. */
  const routeId = (name: 'chat' | 'contact' | 'group'): string | undefined => {
    const r = route();
    if (r.name !== 'chat' && r.name !== 'contact' && r.name !== 'group') return undefined;
    return r.name === name ? r.id : undefined;
  };
  const kindOf = (id: string) => state.conversations()?.find((c) => c.id === id)?.kind;

  const topbar = () => (
    <header class="topbar">
      <div class="topbar__title">
        <img src={logoUrl} alt="" />
        <span>Parley</span>
        <Show when={status()?.relay}>
          {(relay) => (
            <span
              class="conn-dot"
              data-state={relay().state}
              role="img"
              aria-label={
                relay().state === 'online' ? 'Connected to relay' : `Relay: ${relay().state}`
              }
            />
          )}
        </Show>
      </div>
      <div class="topbar__actions">
        <button
          type="button"
          class="icon-btn"
          aria-label="Start a chat"
          aria-pressed={composing()}
          onClick={() => setComposing(!composing())}
        >
          <Icon name="compose" />
        </button>
        <Show
          when={props.variant === 'popup'}
          fallback={
            <button
              type="button"
              class="icon-btn"
              aria-label="Settings"
              onClick={() => setRoute({ name: 'settings' })}
            >
              <Icon name="settings" />
            </button>
          }
        >
          <button
            type="button"
            class="icon-btn"
            aria-label="Open in side panel"
            onClick={() => openInSidePanel()}
          >
            <Icon name="panel" />
          </button>
        </Show>
        <button
          type="button"
          class="icon-btn"
          aria-label="Lock Parley"
          onClick={() => void call('lock')}
        >
          <Icon name="lock" />
        </button>
      </div>
    </header>
  );

  const listView = () => (
    <div class="view">
      {topbar()}
      <Show when={composing()}>
        <StartChat onStarted={openChat} onCancel={() => setComposing(false)} />
      </Show>
      <Show
        when={(state.conversations()?.length ?? 0) > 0}
        fallback={
          <Show when={state.conversations() !== null && !composing()}>
            <EmptyState icon="chat" title="No conversations yet">
              <p>
                Start a chat with someone’s handle. Only the two of you can read what you write.
              </p>
              <button type="button" class="btn btn--primary" onClick={() => setComposing(true)}>
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
              aria-pressed={filter() === 'all'}
              onClick={() => setFilter('all')}
            >
              All chats
            </button>
            <button
              type="button"
              aria-pressed={filter() === 'requests'}
              onClick={() => setFilter('requests')}
            >
              Requests
              <span class="segmented__count">{requests().length}</span>
            </button>
          </fieldset>
        </Show>
        <div class="scroll">
          <ConversationList
            conversations={listed()}
            now={state.now()}
            relay={status()?.relay}
            onOpen={openChat}
          />
        </div>
      </Show>
    </div>
  );

  return (
    <div class={`app app--${props.variant}`}>
      <Switch
        fallback={<div class="loading" role="status" aria-busy="true" aria-label="Loading" />}
      >
        <Match when={state.problem() !== null && status() === null}>
          <EmptyState icon="alert" title="Parley is not responding">
            <p>{state.problem()}</p>
            <button type="button" class="btn" onClick={() => void state.refresh()}>
              Try again
            </button>
          </EmptyState>
        </Match>
        <Match when={status()?.vault === 'locked' ? status() : undefined}>
          {(s) => <LockScreen status={s()} />}
        </Match>
        <Match
          when={
            status()?.vault === 'none' || (status() !== null && status()?.onboarding !== 'complete')
          }
        >
          <SetupPrompt
            onboarding={status()?.onboarding ?? 'new'}
            onOpened={() => {
              if (props.variant === 'popup') window.close();
            }}
          />
        </Match>
        <Match when={status()?.vault === 'unlocked'}>
          <Show when={status()?.relay}>
            {(relay) => <ConnectionBar relay={relay()} now={state.now()} />}
          </Show>
          <Switch>
            <Match when={route().name === 'list'}>{listView()}</Match>
            <Match when={routeId('chat')}>
              {(id) => (
                <ConversationView
                  state={state}
                  conversationId={id()}
                  onBack={() => setRoute({ name: 'list' })}
                  {...(props.variant === 'sidepanel'
                    ? {
                        onOpenDetails: () =>
                          setRoute({
                            name: kindOf(id()) === 'group' ? 'group' : 'contact',
                            id: id(),
                          }),
                      }
                    : { onOpenInPanel: () => openInSidePanel(id()) })}
                />
              )}
            </Match>
            <Match when={routeId('group')}>
              {(id) => (
                <GroupPage
                  state={state}
                  conversationId={id()}
                  onBack={() => setRoute({ name: 'chat', id: id() })}
                  onGone={() => setRoute({ name: 'list' })}
                />
              )}
            </Match>
            <Match when={routeId('contact')}>
              {(id) => (
                <ContactPage
                  state={state}
                  conversationId={id()}
                  onBack={() => setRoute({ name: 'chat', id: id() })}
                />
              )}
            </Match>
            <Match when={route().name === 'settings'}>
              <SettingsPage state={state} onBack={() => setRoute({ name: 'list' })} />
            </Match>
          </Switch>
        </Match>
      </Switch>
    </div>
  );
}
