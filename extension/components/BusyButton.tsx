/**
 * The large primary button that starts something slow (a passkey dialog, a
 * relay check, Argon2id): while busy it is disabled and shows a spinner in
 * place of its icon, so a second press cannot start the same ceremony twice.
 */
import { type JSX, Show } from 'solid-js';
import { Icon, type IconName } from './Icon.tsx';

export function BusyButton(props: {
  busy: boolean;
  label: string;
  /** Said while busy ("Waiting for your passkey…"); the label stays otherwise. */
  busyLabel?: string;
  icon?: IconName;
  type?: 'button' | 'submit';
  disabled?: boolean;
  autofocus?: boolean;
  onClick?: () => void;
}): JSX.Element {
  return (
    <button
      type={props.type ?? 'button'}
      class="btn btn--primary btn--large btn--block"
      disabled={props.busy || props.disabled === true}
      onClick={() => props.onClick?.()}
      autofocus={props.autofocus}
    >
      <Show when={props.busy} fallback={props.icon && <Icon name={props.icon} />}>
        <span class="spinner" aria-hidden="true" />
      </Show>
      {props.busy ? (props.busyLabel ?? props.label) : props.label}
    </button>
  );
}
