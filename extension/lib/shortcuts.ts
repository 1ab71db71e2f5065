/**
 * The chat's keyboard shortcuts: which key does what, as a pure mapping from
 * a key press to an action (the shell performs it) and as the table the
 * shortcut sheet and docs/extension.md ("Focus and keyboard") show.
 *
 * Chosen not to clobber the browser's or a screen reader's keys: Alt with a
 * letter or an arrow (not Alt+Left/Right, the browser's back/forward), Ctrl+K
 * (pages may take it), and "/" and "?" only outside text fields, where
 * typing them must still type them.
 *
 * Runs in: pages (pure).
 */

export type ShortcutAction = 'back' | 'newChat' | 'search' | 'nextChat' | 'previousChat' | 'help';

/** The parts of a KeyboardEvent the mapping reads. */
export interface KeyPress {
  readonly key: string;
  /** Layout-independent (Alt+N on a Mac types "˜"; the code stays KeyN). */
  readonly code: string;
  readonly altKey: boolean;
  readonly ctrlKey: boolean;
  readonly metaKey: boolean;
  readonly shiftKey: boolean;
  readonly isComposing: boolean;
  readonly defaultPrevented: boolean;
}

/** Where the key was pressed, as far as the mapping cares. */
export interface KeyTarget {
  /** A text field (input, textarea, contenteditable): "/" and "?" type there. */
  readonly typing: boolean;
  /** A select or listbox, whose own keys (Alt+Down opens it) win. */
  readonly picker: boolean;
}

export const SHORTCUTS: readonly {
  readonly keys: string;
  readonly action: ShortcutAction;
  readonly does: string;
}[] = [
  { keys: 'Alt+N', action: 'newChat', does: 'Start a chat' },
  { keys: 'Ctrl+K or /', action: 'search', does: 'Search conversations' },
  { keys: 'Alt+↓', action: 'nextChat', does: 'Next conversation' },
  { keys: 'Alt+↑', action: 'previousChat', does: 'Previous conversation' },
  { keys: 'Escape', action: 'back', does: 'Back (close a form, leave a chat or page)' },
  { keys: '?', action: 'help', does: 'Show these shortcuts' },
];

/** Keys of the conversation list itself (one Tab stop, arrows move). */
export const LIST_KEYS: readonly { readonly keys: string; readonly does: string }[] = [
  { keys: '↑ / ↓', does: 'Move through the conversation list' },
  { keys: 'Home / End', does: 'First / last conversation' },
  { keys: 'Enter', does: 'Open the conversation' },
];

/** The action a key press asks for, or null (the key does what it usually does). */
export function shortcutOf(press: KeyPress, target: KeyTarget): ShortcutAction | null {
  if (press.defaultPrevented || press.isComposing) return null;
  const plain = !press.altKey && !press.ctrlKey && !press.metaKey;
  if (press.key === 'Escape' && plain && !press.shiftKey) return 'back';
  if (press.altKey && !press.ctrlKey && !press.metaKey && !press.shiftKey) {
    if (press.code === 'KeyN') return 'newChat';
    if (target.picker) return null;
    if (press.key === 'ArrowDown') return 'nextChat';
    if (press.key === 'ArrowUp') return 'previousChat';
    return null;
  }
  if (press.ctrlKey && !press.altKey && !press.metaKey && !press.shiftKey && press.code === 'KeyK')
    return 'search';
  if (plain && !target.typing) {
    if (press.key === '/') return 'search';
    if (press.key === '?') return 'help';
  }
  return null;
}

/** Reads a KeyTarget off the element a key was pressed on. */
export function keyTargetOf(el: EventTarget | null): KeyTarget {
  if (!(el instanceof HTMLElement)) return { typing: false, picker: false };
  const typing =
    el.isContentEditable ||
    el instanceof HTMLTextAreaElement ||
    (el instanceof HTMLInputElement &&
      !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color'].includes(el.type));
  const picker =
    el instanceof HTMLSelectElement ||
    el.closest('[role="listbox"], [role="combobox"], [role="menu"]') !== null;
  return { typing, picker };
}
