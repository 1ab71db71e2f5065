/**
 * The chat shell's navigation: the current view, "start a chat" open or not,
 * the shortcut sheet, and what moves focus between them: each new screen
 * gets focus (back onto the control that led away when returning), and the
 * keyboard shortcuts act on the route (docs/extension.md, "Focus and
 * keyboard").
 *
 * Runs in: pages (Solid).
 */
import { type Accessor, createEffect, createMemo, createSignal, on } from 'solid-js';
import type { ParleyState } from './app-state.ts';
import { focusSoon, focusView } from './focus.ts';
import { backOf, LIST, neighbourOf, type Route, returnFocusOf } from './routes.ts';
import { listenForShortcuts, type ShortcutHandlers } from './shortcut-listener.ts';

export interface Navigation {
  readonly route: Accessor<Route>;
  go(to: Route): void;
  openChat(id: string): void;
  readonly composing: Accessor<boolean>;
  setComposing(composing: boolean): void;
  readonly showingKeys: Accessor<boolean>;
  setShowingKeys(showing: boolean): void;
}

/** Which screen is up: changes of it (not of the data on it) move focus. */
function screenKey(state: ParleyState, route: Route): string {
  const s = state.status();
  if (s === null) return state.problem() === null ? 'loading' : 'problem';
  if (s.vault === 'locked') return 'locked';
  if (s.vault === 'none' || s.onboarding !== 'complete') return 'setup';
  return `${route.name}:${'id' in route ? route.id : ''}`;
}

function shortcutsOf(
  state: ParleyState,
  nav: Navigation,
  root: () => HTMLElement | undefined,
): ShortcutHandlers {
  /** Alt+↑/↓: the conversation before or after the one open, in list order. */
  const openNeighbour = (step: -1 | 1): boolean => {
    const r = nav.route();
    const ids = (state.conversations() ?? []).map((c) => c.id);
    const next = neighbourOf(ids, 'id' in r ? r.id : null, step);
    if (next === undefined) return false;
    nav.openChat(next);
    return true;
  };
  const toList = () => {
    if (nav.route().name !== 'list') nav.go(LIST);
  };
  return {
    back: () => {
      const to = backOf(nav.route());
      if (to !== null) nav.go(to);
      return to !== null;
    },
    newChat: () => {
      toList();
      nav.setComposing(true);
      focusSoon(() => document.getElementById('start-chat-handle'));
      return true;
    },
    search: () => {
      toList();
      nav.setComposing(false);
      focusView(root, '[data-shortcut="search"]', { force: true });
      return true;
    },
    nextChat: () => openNeighbour(1),
    previousChat: () => openNeighbour(-1),
    help: () => {
      nav.setShowingKeys(true);
      return true;
    },
  };
}

export function createNavigation(
  state: ParleyState,
  root: () => HTMLElement | undefined,
): Navigation {
  const [route, setRoute] = createSignal<Route>(LIST);
  const [composing, setComposing] = createSignal(false);
  const [showingKeys, setShowingKeys] = createSignal(false);
  /** The view left by the last move, read once by the focus effect. */
  let previous: Route | null = null;
  const go = (to: Route) => {
    previous = route();
    setRoute(to);
  };
  const nav: Navigation = {
    route,
    go,
    openChat: (id) => {
      setComposing(false);
      go({ name: 'chat', id });
    },
    composing,
    setComposing,
    showingKeys,
    setShowingKeys,
  };

  const key = createMemo(() => screenKey(state, route()));
  createEffect(
    on(key, () => {
      const from = previous;
      previous = null;
      focusView(root, returnFocusOf(from, route()));
    }),
  );
  const shortcuts = shortcutsOf(state, nav, root);
  listenForShortcuts(() =>
    state.status()?.vault === 'unlocked' && !showingKeys() ? shortcuts : null,
  );
  return nav;
}
