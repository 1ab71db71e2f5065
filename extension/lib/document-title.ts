/**
 * The tab and window title of Parley's pages: where the person is ("bob –
 * Parley") and, on the list, how many messages are unread ("(3) Parley"), so
 * a screen reader's window list and the tab strip say it without opening it.
 *
 * Runs in: the popup and side panel (document.title); the title text is pure.
 */
import { createEffect, onCleanup } from 'solid-js';

export const APP_NAME = 'Parley';

/** "bob – Parley" for a view about something, "(3) Parley" for the list with 3 unread. */
export function pageTitle(view: { readonly about?: string; readonly unread?: number }): string {
  if (view.about !== undefined && view.about !== '') return `${view.about} – ${APP_NAME}`;
  const unread = view.unread ?? 0;
  return unread > 0 ? `(${unread}) ${APP_NAME}` : APP_NAME;
}

/** Keeps document.title in step while the calling view is shown; back to "Parley" after. */
export function useDocumentTitle(title: () => string): void {
  createEffect(() => {
    document.title = title();
  });
  onCleanup(() => {
    document.title = APP_NAME;
  });
}
