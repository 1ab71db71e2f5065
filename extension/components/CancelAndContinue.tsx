/**
 * The actions row of a link form on the approving browser (typed code, link
 * string): Cancel, and the submit button that says "Checking…" while the
 * worker checks what was entered.
 */
import type { JSX } from 'solid-js';
import { BusyButton } from './BusyButton.tsx';

export function CancelAndContinue(props: { busy: boolean; onCancel: () => void }): JSX.Element {
  return (
    <div class="link-form__actions">
      <button type="button" class="btn" onClick={() => props.onCancel()}>
        Cancel
      </button>
      <BusyButton type="submit" busy={props.busy} label="Continue" busyLabel="Checking…" />
    </div>
  );
}
