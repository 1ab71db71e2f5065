/**
 * The keyboard shortcuts, in a modal dialog: a native `<dialog>` opened with
 * showModal(), so the rest of the page is inert, Tab stays inside (trapTab),
 * Escape closes it, and focus returns to where it was.
 */
import { For, type JSX, onMount } from 'solid-js';
import { trapTab } from '../lib/focus.ts';
import { LIST_KEYS, SHORTCUTS } from '../lib/shortcuts.ts';
import { Icon } from './Icon.tsx';

export function ShortcutSheet(props: { onClose: () => void }): JSX.Element {
  let dialog: HTMLDialogElement | undefined;
  const returnTo = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  onMount(() => dialog?.showModal());
  const close = () => {
    dialog?.close();
  };
  return (
    <dialog
      ref={dialog}
      class="sheet"
      aria-labelledby="shortcut-title"
      onClose={() => {
        props.onClose();
        if (returnTo?.isConnected === true) returnTo.focus();
      }}
      onKeyDown={(e) => {
        // The dialog closes itself on Escape; the page must not also go back.
        if (e.key === 'Escape') e.stopPropagation();
        if (dialog !== undefined) trapTab(e, dialog);
      }}
    >
      <header class="sheet__head">
        <h2 id="shortcut-title">Keyboard shortcuts</h2>
        <button
          type="button"
          class="icon-btn"
          aria-label="Close"
          onClick={close}
          data-autofocus
          autofocus
        >
          <Icon name="close" />
        </button>
      </header>
      <table class="sheet__table">
        <caption class="sr-only">Shortcuts anywhere in Parley</caption>
        <thead class="sr-only">
          <tr>
            <th scope="col">Keys</th>
            <th scope="col">What they do</th>
          </tr>
        </thead>
        <tbody>
          <For each={[...SHORTCUTS, ...LIST_KEYS]}>
            {(s) => (
              <tr>
                <th scope="row">
                  <kbd>{s.keys}</kbd>
                </th>
                <td>{s.does}</td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
    </dialog>
  );
}
