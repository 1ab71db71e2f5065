/**
 * The large primary button that starts something slow (a passkey dialog, a
 * relay check, Argon2id): while busy it shows a spinner in place of its icon
 * and ignores presses, so a second press cannot start the same ceremony
 * twice. It stays focusable (aria-disabled, not disabled: a disabled button
 * drops keyboard focus to the page); a submit button's form checks `busy` too.
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
  /** Something that cannot be undone (remove a device): the danger style, not the accent. */
  danger?: boolean;
  onClick?: () => void;
}): JSX.Element {
  return (
    <button
      type={props.type ?? 'button'}
      class={`btn ${props.danger === true ? 'btn--danger' : 'btn--primary'} btn--large btn--block`}
      aria-disabled={props.busy || props.disabled === true}
      aria-busy={props.busy}
      onClick={(e) => {
        if (props.busy || props.disabled === true) {
          e.preventDefault();
          return;
        }
        props.onClick?.();
      }}
      data-autofocus={props.autofocus === true ? '' : undefined}
    >
      <Show when={props.busy} fallback={props.icon && <Icon name={props.icon} />}>
        <span class="spinner" aria-hidden="true" />
      </Show>
      {props.busy ? (props.busyLabel ?? props.label) : props.label}
    </button>
  );
}
