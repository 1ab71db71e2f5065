/**
 * The message field: Enter sends, Shift+Enter starts a new line (and an IME
 * composition is never cut short by Enter). Grows with its text up to a limit.
 * Text is never cut: a counter shows near MESSAGE_MAX_CHARS and text over it
 * stays in the field, with a sentence saying why it cannot be sent.
 * Reports typing (throttled here; the worker's client core throttles again and
 * says "stopped" by itself a few seconds after the last report). Unsent text
 * is kept as the conversation's draft (lib/draft-keeper.ts).
 */
import { createEffect, createSignal, type JSX, on, Show } from 'solid-js';
import { keepDraft } from '../lib/draft-keeper.ts';
import { describeError } from '../lib/errors.ts';
import { MESSAGE_MAX_CHARS } from '../lib/protocol.ts';
import { textLimitState } from '../lib/text-limit.ts';
import { Icon } from './Icon.tsx';

/** How often the page tells the worker that someone is still typing. */
const TYPING_REPORT_MS = 2_000;

export function Composer(props: {
  /** Whose draft this text is. */
  conversationId: string;
  onSend: (text: string) => Promise<void>;
  disabled?: boolean;
  placeholder: string;
  autofocus?: boolean;
  /** true while text is being typed (at most every TYPING_REPORT_MS), false when sent, cleared or left. */
  onTyping?: (typing: boolean) => void;
}): JSX.Element {
  const [text, setText] = createSignal('');
  let typingSince = 0;
  const typing = (on: boolean) => {
    if (props.onTyping === undefined) return;
    if (on) {
      const now = Date.now();
      if (now - typingSince < TYPING_REPORT_MS) return;
      typingSince = now;
      props.onTyping(true);
    } else if (typingSince !== 0) {
      typingSince = 0;
      props.onTyping(false);
    }
  };
  const [error, setError] = createSignal<string | null>(null);
  let field: HTMLTextAreaElement | undefined;

  const grow = () => {
    if (field === undefined) return;
    field.style.height = 'auto';
    field.style.height = `${Math.min(field.scrollHeight + 2, 160)}px`;
  };

  const draft = keepDraft({
    conversationId: () => props.conversationId,
    text,
    setText: (value) => {
      setText(value);
      queueMicrotask(grow);
    },
  });

  const limit = () => textLimitState(text().length, MESSAGE_MAX_CHARS);
  /**
   * What the polite live region says: set only when the zone changes (and when
   * a send is refused), so a screen reader is not told every keystroke.
   */
  const [announcement, setAnnouncement] = createSignal('');
  createEffect(
    on(
      () => limit().zone,
      (zone) => setAnnouncement(zone === 'ok' ? '' : (limit().message ?? '')),
      { defer: true },
    ),
  );

  const canSend = () => !props.disabled && text().trim() !== '' && limit().zone !== 'over';

  const send = async () => {
    if (limit().zone === 'over') {
      setAnnouncement(`Not sent. ${limit().message ?? ''}`);
      return;
    }
    if (!canSend()) return;
    const value = text();
    setText('');
    setError(null);
    typing(false);
    queueMicrotask(grow);
    try {
      await props.onSend(value);
      draft.sent();
    } catch (e) {
      setText(value); // give the text back rather than lose it
      draft.changed();
      queueMicrotask(grow);
      setError(describeError(e));
    }
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void send();
    }
  };

  return (
    <div>
      <p class="sr-only" aria-live="polite">
        {announcement()}
      </p>
      <Show when={limit().counter}>
        {(counter) => (
          <div class="composer__meta" data-zone={limit().zone}>
            <Show when={limit().zone === 'over'}>
              <p id="composer-limit" class="composer__limit">
                {limit().message}
              </p>
            </Show>
            <span class="composer__count" aria-hidden="true" title="Characters used / limit">
              {counter()}
            </span>
          </div>
        )}
      </Show>
      <Show when={error()}>
        <p class="composer__error" role="alert">
          {error()}
        </p>
      </Show>
      <form
        class="composer"
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
      >
        <label class="sr-only" for="composer-text">
          Message
        </label>
        <textarea
          id="composer-text"
          ref={field}
          rows="1"
          placeholder={props.placeholder}
          value={text()}
          disabled={props.disabled}
          data-autofocus={props.autofocus === true ? '' : undefined}
          aria-describedby={
            limit().zone === 'over' ? 'composer-limit composer-hint' : 'composer-hint'
          }
          aria-invalid={limit().zone === 'over'}
          onInput={(e) => {
            setText(e.currentTarget.value);
            draft.changed();
            typing(e.currentTarget.value.trim() !== '');
            grow();
          }}
          onBlur={() => typing(false)}
          onKeyDown={onKeyDown}
        />
        <span id="composer-hint" class="sr-only">
          Enter sends, Shift+Enter starts a new line.
        </span>
        <button class="send-btn" type="submit" disabled={!canSend()} aria-label="Send">
          <Icon name="send" />
        </button>
      </form>
    </div>
  );
}
