/**
 * Keeps the composer's text as the conversation's draft in the worker
 * (sealed in the client store, shared/client/conversations/drafts.ts): saved
 * 500 ms after typing stops, at once when the reader leaves the chat, switches
 * to another one, or the page is hidden or closed; loaded when a chat opens.
 *
 * Runs in: pages (Solid).
 */
import { createEffect, on, onCleanup } from 'solid-js';
import { call } from './rpc-client.ts';

/** How long typing must pause before the draft is saved. */
export const DRAFT_SAVE_DELAY_MS = 500;

export interface DraftKeeper {
  /** The text changed (typed): save after a pause. */
  changed(): void;
  /** The text was sent: the worker dropped the draft, nothing is left to save. */
  sent(): void;
}

export function keepDraft(options: {
  conversationId: () => string;
  text: () => string;
  setText: (text: string) => void;
}): DraftKeeper {
  /** What the worker holds for the open conversation, as far as this page knows. */
  let saved = '';
  let timer: ReturnType<typeof setTimeout> | undefined;
  let current: string | null = null;

  const saveNow = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const conversationId = current;
    const text = options.text();
    if (conversationId === null || text === saved) return;
    saved = text;
    // A failed save leaves the text in the field; the next change tries again.
    void call('saveDraft', { conversationId, text }).catch(() => {
      if (current === conversationId) saved = '\u0000';
    });
  };

  createEffect(
    on(options.conversationId, (conversationId) => {
      saveNow();
      current = conversationId;
      saved = '';
      options.setText('');
      void call('getDraft', { conversationId })
        .then((draft) => {
          // Only into an untouched field of the same chat: typing wins over a late answer.
          if (current !== conversationId || options.text() !== '') return;
          saved = draft;
          options.setText(draft);
        })
        .catch(() => undefined);
    }),
  );

  const onHidden = () => {
    if (document.visibilityState === 'hidden') saveNow();
  };
  window.addEventListener('pagehide', saveNow);
  document.addEventListener('visibilitychange', onHidden);
  onCleanup(() => {
    window.removeEventListener('pagehide', saveNow);
    document.removeEventListener('visibilitychange', onHidden);
    saveNow();
  });

  return {
    changed() {
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(saveNow, DRAFT_SAVE_DELAY_MS);
    },
    sent() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      saved = '';
    },
  };
}
