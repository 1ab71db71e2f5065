/**
 * Under a form field: its hint, or in the hint's place the field's error,
 * announced when it appears (role="alert"). The two carry the ids
 * `${id}-hint` and `${id}-error`; the field's input names the one shown with
 * `aria-describedby={describedBy(id, error)}` and `aria-invalid={invalid(error)}`.
 */
import { type JSX, Show } from 'solid-js';

/** The id of the hint or, while there is an error, of the error. */
export function describedBy(id: string, error: string | null): string {
  return error === null ? `${id}-hint` : `${id}-error`;
}

/** `aria-invalid` for a field: set only while it has an error. */
export function invalid(error: string | null): 'true' | undefined {
  return error === null ? undefined : 'true';
}

export function HintOrError(props: {
  id: string;
  error: string | null;
  /** The hint's text. */
  children: JSX.Element;
}): JSX.Element {
  return (
    <Show
      when={props.error}
      fallback={
        <span class="field__hint" id={`${props.id}-hint`}>
          {props.children}
        </span>
      }
    >
      <span class="field__error" id={`${props.id}-error`} role="alert">
        {props.error}
      </span>
    </Show>
  );
}
