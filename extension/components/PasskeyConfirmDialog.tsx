/**
 * A modal dialog that confirms one serious step with a fresh passkey user
 * verification (docs/extension.md, "Linked devices"): a title, what follows,
 * Cancel (focused first) and the action button. The action runs
 * `verifyUser()` and then `onConfirm`; a failure of either stays in the
 * dialog as an alert. Tab is kept inside, Escape closes the dialog only (not
 * a page beneath it), and focus returns to where it was.
 *
 * A new passkey-gated dialog is a thin wrapper that passes its title, text,
 * action and `onConfirm` (RemoveDeviceDialog.tsx, ResetIdentityDialog.tsx).
 */
import { createSignal, createUniqueId, type JSX, onMount, Show } from 'solid-js';
import { describeError } from '../lib/errors.ts';
import { trapTab } from '../lib/focus.ts';
import { verifyUser } from '../lib/user-verification.ts';
import { BusyButton } from './BusyButton.tsx';
import type { IconName } from './Icon.tsx';

/** The button that confirms, e.g. { label: 'Remove', icon: 'trash', danger: true }. */
export interface PasskeyAction {
  readonly label: string;
  readonly icon: IconName;
  /** Something that cannot be undone: the danger style, not the accent. */
  readonly danger?: boolean;
}

export function PasskeyConfirmDialog(props: {
  title: JSX.Element;
  /** What follows, as one or more paragraphs; say that the passkey confirms it. */
  children: JSX.Element;
  action: PasskeyAction;
  /** The step itself, run once the passkey verified the user; throw to show an error. */
  onConfirm: () => Promise<void>;
  /** Once closed: true if `onConfirm` succeeded, false if cancelled. */
  onClose: (confirmed: boolean) => void;
}): JSX.Element {
  let dialog: HTMLDialogElement | undefined;
  const returnTo = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const titleId = createUniqueId();
  const descriptionId = createUniqueId();
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  let confirmed = false;
  onMount(() => dialog?.showModal());

  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await verifyUser();
      await props.onConfirm();
      confirmed = true;
      dialog?.close();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog
      ref={dialog}
      class="sheet sheet--confirm"
      aria-labelledby={titleId}
      aria-describedby={descriptionId}
      onClose={() => {
        props.onClose(confirmed);
        if (returnTo?.isConnected === true) returnTo.focus();
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') e.stopPropagation();
        if (dialog !== undefined) trapTab(e, dialog);
      }}
    >
      <h2 id={titleId}>{props.title}</h2>
      <div id={descriptionId}>{props.children}</div>
      <Show when={error()}>
        <p class="field__error" role="alert">
          {error()}
        </p>
      </Show>
      <div class="sheet__actions">
        <button type="button" class="btn" onClick={() => dialog?.close()} autofocus>
          Cancel
        </button>
        <BusyButton
          busy={busy()}
          label={props.action.label}
          busyLabel="Waiting for your passkey…"
          icon={props.action.icon}
          danger={props.action.danger === true}
          onClick={() => void confirm()}
        />
      </div>
    </dialog>
  );
}
