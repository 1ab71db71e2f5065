/** "alice is typing…" under the history, announced politely; empty when nobody is. */
import { type JSX, Show } from 'solid-js';
import { typingLabel } from '../lib/format.ts';

export function TypingLine(props: { handles: readonly string[] }): JSX.Element {
  return (
    <div class="typing-line" role="status" aria-live="polite">
      <Show when={typingLabel(props.handles)}>
        {(label) => (
          <>
            <span class="typing-dots" aria-hidden="true">
              <span />
              <span />
              <span />
            </span>
            <span>{label()}</span>
          </>
        )}
      </Show>
    </div>
  );
}
