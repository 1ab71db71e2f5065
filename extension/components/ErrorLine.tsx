/** The error of a page or form, announced when it appears (role="alert"); nothing while there is none. */
import { type JSX, Show } from 'solid-js';

export function ErrorLine(props: { error: string | null }): JSX.Element {
  return (
    <Show when={props.error}>
      <p class="error-text" role="alert">
        {props.error}
      </p>
    </Show>
  );
}
