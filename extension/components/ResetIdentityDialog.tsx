/**
 * "Remove and reset identity?": for a device that was stolen. A modal dialog
 * that says what follows (every other browser removed, contacts see a
 * safety-number change), then a fresh passkey user verification, then the
 * worker's `resetIdentity` (docs/extension.md, "Linked devices").
 */
import { createSignal, type JSX, onMount, Show } from 'solid-js';
import { describeError } from '../lib/errors.ts';
import { trapTab } from '../lib/focus.ts';
import { call } from '../lib/rpc-client.ts';
import { verifyUser } from '../lib/user-verification.ts';
import { BusyButton } from './BusyButton.tsx';

export function ResetIdentityDialog(props: { onClose: (reset: boolean) => void }): JSX.Element {
  let dialog: HTMLDialogElement | undefined;
  const returnTo = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  let reset = false;
  onMount(() => dialog?.showModal());

  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await verifyUser();
      await call('resetIdentity');
      reset = true;
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
      aria-labelledby="reset-identity-title"
      aria-describedby="reset-identity-desc"
      onClose={() => {
        props.onClose(reset);
        if (returnTo?.isConnected === true) returnTo.focus();
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') e.stopPropagation();
        if (dialog !== undefined) trapTab(e, dialog);
      }}
    >
      <h2 id="reset-identity-title">Remove all other browsers and reset your identity?</h2>
      <div id="reset-identity-desc">
        <p>
          For a lost or stolen device: this browser gets new keys and becomes the only one on your
          account. Every other browser is removed at once and reads nothing new.
        </p>
        <p>
          Your contacts will see that your safety number changed; ask them to verify you again. Your
          conversations stay here. You will confirm with your passkey.
        </p>
      </div>
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
          label="Reset identity"
          busyLabel="Waiting for your passkey…"
          icon="alert"
          danger
          onClick={() => void confirm()}
        />
      </div>
    </dialog>
  );
}
