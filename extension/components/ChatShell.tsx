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
import { reportActivity } from '../lib/activity.ts';
import { createParleyState, type ParleyState } from '../lib/app-state.ts';
import { createNavigation } from '../lib/navigation.ts';
import { call } from '../lib/rpc-client.ts';
import { ConnectionBar } from './ConnectionBar.tsx';
import { ConversationsScreen, type ListFilter } from './ConversationsScreen.tsx';
import { ConversationView } from './ConversationView.tsx';
import { DeviceNoticeBar, RemovedScreen } from './DeviceNotices.tsx';
import { EmptyState } from './EmptyState.tsx';
import { LockScreen } from './LockScreen.tsx';
import { SetupPrompt } from './SetupPrompt.tsx';
import { ShortcutSheet } from './ShortcutSheet.tsx';

// Only the side panel shows these; loading them lazily keeps them (and the
// QR encoder, Kobalte) out of the popup's bundle.
const ContactPage = lazy(() =>
  import('./ContactPage.tsx').then((m) => ({ default: m.ContactPage })),
);
const SettingsPage = lazy(() =>
  import('./SettingsPage.tsx').then((m) => ({ default: m.SettingsPage })),
);
const DevicesPage = lazy(() =>
  import('./DevicesPage.tsx').then((m) => ({ default: m.DevicesPage })),
);
const GroupPage = lazy(() => import('./GroupPage.tsx').then((m) => ({ default: m.GroupPage })));

export type Variant = 'popup' | 'sidepanel';

/**
 * Marked at the start of the frame that paints the first complete screen: the
 * status is known and, when unlocked, the conversation list is loaded (not a
 * loading placeholder or a bare top bar). bench/ui.ts reads it as "first render".
 */
export const FIRST_RENDER_MARK = 'parley:first-render';

/** Sets FIRST_RENDER_MARK once, at the first frame that shows a complete screen. */
function markFirstRender(state: ParleyState): void {
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
}

/**
 * Opens the side panel, optionally on one conversation. Must run inside the click: Chrome opens
 * the side panel only in response to a user action, so the window is looked up in advance.
 */
function createPanelOpener(variant: Variant): (conversationId?: string) => void {
  let windowId: number | undefined;
  onMount(() => {
    void browser.windows
      .getCurrent()
      .then((w) => {
        windowId = w.id;
      })
      .catch(() => undefined);
  });
  return (conversationId) => {
    if (windowId === undefined) return;
    void browser.sidePanel.open({ windowId }).then(() => {
      if (conversationId !== undefined) void call('setFocus', { conversationId });
      if (variant === 'popup') window.close();
    });
  };
}

/** The side panel shows the conversation the worker asks for (a notification, the popup). */
function followFocus(state: ParleyState, show: (conversationId: string) => void): void {
  void call('takeFocus')
    .then(({ conversationId }) => {
      if (conversationId !== null) show(conversationId);
    })
    .catch(() => undefined);
  onCleanup(
    state.on((event) => {
      if (event.type === 'focus') show(event.conversationId);
    }),
  );
}

export function ChatShell(props: { variant: Variant }): JSX.Element {
  const state = createParleyState();
  markFirstRender(state);
  let container: HTMLDivElement | undefined;
  const nav = createNavigation(state, () => container);
  const route = nav.route;
  const setRoute = nav.go;
  const openChat = nav.openChat;
  const composing = nav.composing;
  const setComposing = nav.setComposing;
  const showingKeys = nav.showingKeys;
  const setShowingKeys = nav.setShowingKeys;
  /** The list shows everything, or only message requests. */
  const [filter, setFilter] = createSignal<ListFilter>('all');
  onMount(() => onCleanup(reportActivity()));
  const openInSidePanel = createPanelOpener(props.variant);
  if (props.variant === 'sidepanel')
    onMount(() => followFocus(state, (id) => setRoute({ name: 'chat', id })));

  const status = () => state.status();
  /** The conversation id of the current route, if it is a route of that kind. */
  const routeId = (name: 'chat' | 'contact' | 'group'): string | undefined => {
    const r = route();
    if (r.name !== 'chat' && r.name !== 'contact' && r.name !== 'group') return undefined;
    return r.name === name ? r.id : undefined;
  };
  const kindOf = (id: string) => state.conversations()?.find((c) => c.id === id)?.kind;

  return (
    <div class={`app app--${props.variant}`} ref={container}>
      <Show when={showingKeys()}>
        <ShortcutSheet onClose={() => setShowingKeys(false)} />
      </Show>
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
        <Match when={status()?.removedAt}>
          {(at) => (
            <RemovedScreen
              removedAt={at()}
              onOpened={() => {
                if (props.variant === 'popup') window.close();
              }}
            />
          )}
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
          <DeviceNoticeBar state={state} />
          <Show when={status()?.relay}>
            {(relay) => <ConnectionBar relay={relay()} now={state.now()} />}
          </Show>
          <Switch>
            <Match when={route().name === 'list'}>
              <ConversationsScreen
                state={state}
                popup={props.variant === 'popup'}
                composing={composing()}
                onCompose={(c) => setComposing(c)}
                filter={filter()}
                onFilter={(f) => setFilter(f)}
                onOpen={openChat}
                onOpenSettings={() => setRoute({ name: 'settings' })}
                onOpenInPanel={() => openInSidePanel()}
              />
            </Match>
            {/* Keyed: a different conversation gets a fresh view, never the last one's feed. */}
            <Match when={routeId('chat')} keyed>
              {(id) => (
                <ConversationView
                  state={state}
                  conversationId={id}
                  onBack={() => setRoute({ name: 'list' })}
                  voiceNotes={props.variant === 'sidepanel'}
                  {...(props.variant === 'sidepanel'
                    ? {
                        onOpenDetails: () =>
                          setRoute({
                            name: kindOf(id) === 'group' ? 'group' : 'contact',
                            id: id,
                          }),
                      }
                    : { onOpenInPanel: () => openInSidePanel(id) })}
                />
              )}
            </Match>
            <Match when={routeId('group')} keyed>
              {(id) => (
                <GroupPage
                  state={state}
                  conversationId={id}
                  onBack={() => setRoute({ name: 'chat', id: id })}
                  onGone={() => setRoute({ name: 'list' })}
                />
              )}
            </Match>
            <Match when={routeId('contact')} keyed>
              {(id) => (
                <ContactPage
                  state={state}
                  conversationId={id}
                  onBack={() => setRoute({ name: 'chat', id: id })}
                />
              )}
            </Match>
            <Match when={route().name === 'settings'}>
              <SettingsPage
                state={state}
                onBack={() => setRoute({ name: 'list' })}
                onShowShortcuts={() => setShowingKeys(true)}
                onOpenDevices={() => setRoute({ name: 'devices' })}
              />
            </Match>
            <Match when={route().name === 'devices'}>
              <DevicesPage state={state} onBack={() => setRoute({ name: 'settings' })} />
            </Match>
          </Switch>
        </Match>
      </Switch>
    </div>
  );
}
