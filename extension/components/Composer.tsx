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
import { createTray } from '../lib/attachments/tray.ts';
import { keepDraft } from '../lib/draft-keeper.ts';
import { describeError } from '../lib/errors.ts';
import { MESSAGE_MAX_CHARS } from '../lib/protocol.ts';
import { textLimitState } from '../lib/text-limit.ts';
import { createTypingReporter } from '../lib/typing-reporter.ts';
import { AttachmentTray } from './attachments/AttachmentTray.tsx';
import { VoiceRecorder } from './attachments/VoiceRecorder.tsx';
import {
  AttachButton,
  createLimitAnnouncer,
  DropHint,
  fileDropHandlers,
  growToFit,
  LimitNotice,
  pasteFiles,
} from './ComposerParts.tsx';
import { Icon } from './Icon.tsx';

/** How often the page tells the worker that someone is still typing. */
const TYPING_REPORT_MS = 2_000;

export function Composer(props: {
  /** Files in the tray are sent to this conversation; unsent text is its draft. */
  conversationId: string;
  /** Offer voice-note recording (the side panel). */
  voiceNotes?: boolean;
  onSend: (text: string) => Promise<void>;
  disabled?: boolean;
  placeholder: string;
  autofocus?: boolean;
  /** true while text is being typed (at most every TYPING_REPORT_MS), false when sent, cleared or left. */
  onTyping?: (typing: boolean) => void;
}): JSX.Element {
  const [text, setText] = createSignal('');
  const tray = createTray(() => props.conversationId);
  // Uploads a closed page or a restarted browser left unfinished: offered to resume.
  createEffect(
    on(
      () => props.conversationId,
      () => void tray.paused.load().catch(() => undefined),
    ),
  );
  const [dragging, setDragging] = createSignal(false);
  const addFiles = (files: FileList | null | undefined) => {
    if (files === null || files === undefined || files.length === 0) return;
    void tray.add([...files].map((file) => ({ file })));
  };
  const typing = createTypingReporter(() => props.onTyping, TYPING_REPORT_MS);
  const [error, setError] = createSignal<string | null>(null);
  let field: HTMLTextAreaElement | undefined;

  const grow = () => growToFit(field);

  const draft = keepDraft({
    conversationId: () => props.conversationId,
    text,
    setText: (value) => {
      setText(value);
      queueMicrotask(grow);
    },
  });

  const limit = () => textLimitState(text().length, MESSAGE_MAX_CHARS);
  const [announcement, setAnnouncement] = createLimitAnnouncer(limit);

  const canSend = () =>
    !props.disabled && (text().trim() !== '' || tray.sendable()) && limit().zone !== 'over';

  const send = async () => {
    if (limit().zone === 'over') {
      setAnnouncement(`Not sent. ${limit().message ?? ''}`);
      return;
    }
    if (!canSend()) return;
    if (text().trim() === '') {
      await tray.sendAll(); // the files alone, each with its caption
      return;
    }
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
      return;
    }
    await tray.sendAll();
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void send();
    }
  };

  return (
    <div
      class="composer-area"
      data-dragging={dragging()}
      {...fileDropHandlers(setDragging, addFiles)}
    >
      <p class="sr-only" aria-live="polite">
        {announcement()}
      </p>
      <LimitNotice limit={limit()} />
      <Show when={error()}>
        <p class="composer__error" role="alert">
          {error()}
        </p>
      </Show>
      <AttachmentTray tray={tray} />
      <DropHint dragging={dragging()} />
      <form
        class="composer"
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
      >
        <AttachButton disabled={props.disabled} onFiles={addFiles} />
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
          onPaste={pasteFiles(addFiles)}
        />
        <span id="composer-hint" class="sr-only">
          Enter sends, Shift+Enter starts a new line.
        </span>
        <Show when={props.voiceNotes}>
          <VoiceRecorder
            disabled={props.disabled === true}
            onRecorded={(file) => void tray.add([file])}
          />
        </Show>
        <button class="send-btn" type="submit" disabled={!canSend()} aria-label="Send">
          <Icon name="send" />
        </button>
      </form>
    </div>
  );
}
