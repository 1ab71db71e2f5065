/**
 * Listens for the chat's shortcuts on the page and runs their actions; an
 * action that did something returns true, and only then is the key's usual
 * effect prevented. Listens in the bubble phase, so a control that handles a
 * key itself (a form's Escape, an open listbox) and prevents its default wins.
 *
 * Runs in: pages.
 */
import { onCleanup } from 'solid-js';
import { keyTargetOf, type ShortcutAction, shortcutOf } from './shortcuts.ts';

export type ShortcutHandlers = Record<ShortcutAction, () => boolean>;

export function listenForShortcuts(handlers: () => ShortcutHandlers | null): void {
  const onKeyDown = (e: KeyboardEvent) => {
    const action = shortcutOf(e, keyTargetOf(e.target));
    if (action === null) return;
    const active = handlers();
    if (active?.[action]() === true) e.preventDefault();
  };
  window.addEventListener('keydown', onKeyDown);
  onCleanup(() => window.removeEventListener('keydown', onKeyDown));
}
