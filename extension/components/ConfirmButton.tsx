/**
 * A button for something that cannot be undone (delete, block, remove): the
 * first press asks ("Delete? Press again"), the second does it. Leaving the
 * button or pressing Escape cancels. The question is announced politely.
 */
import { createSignal, type JSX, Show } from 'solid-js';
import { Icon, type IconName } from './Icon.tsx';

export function ConfirmButton(props: {
  label: string;
  /** What the second press does, said on the armed button ("Delete for good"). */
  confirmLabel: string;
  icon?: IconName;
  class?: string;
  disabled?: boolean;
  onConfirm: () => void | Promise<void>;
}): JSX.Element {
  const [armed, setArmed] = createSignal(false);
  return (
    <button
      type="button"
      class={`btn ${props.class ?? ''}${armed() ? ' btn--danger btn--armed' : ''}`}
      aria-disabled={props.disabled === true}
      aria-live="polite"
      onClick={() => {
        // Stays focusable while disabled (a disabled button drops keyboard focus); presses are ignored.
        if (props.disabled === true) return;
        if (!armed()) {
          setArmed(true);
          return;
        }
        setArmed(false);
        void props.onConfirm();
      }}
      onBlur={() => setArmed(false)}
      onKeyDown={(e) => {
        if (e.key !== 'Escape' || !armed()) return;
        // Cancels the question only; the page's Escape (back) must not also act.
        e.preventDefault();
        setArmed(false);
      }}
    >
      <Show when={props.icon}>{(icon) => <Icon name={icon()} />}</Show>
      {armed() ? props.confirmLabel : props.label}
    </button>
  );
}
