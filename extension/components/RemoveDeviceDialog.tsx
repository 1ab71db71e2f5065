/**
 * "Remove <device>?": a modal dialog naming the device, then a fresh passkey
 * user verification, then the signed device list without it (the relay
 * revokes it at once). Used by Settings → Linked devices and by the "a new
 * device was linked" notice (docs/extension.md, "Linked devices").
 */
import { createSignal, type JSX, onMount, Show } from 'solid-js';
import { describeError } from '../lib/errors.ts';
import { trapTab } from '../lib/focus.ts';
import { call } from '../lib/rpc-client.ts';
import { verifyUser } from '../lib/user-verification.ts';
import { BusyButton } from './BusyButton.tsx';

export function RemoveDeviceDialog(props: {
  deviceId: number;
  name: string;
  onClose: (removed: boolean) => void;
}): JSX.Element {
  let dialog: HTMLDialogElement | undefined;
  const returnTo = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  let removed = false;
  onMount(() => dialog?.showModal());

  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      await verifyUser();
      await call('removeDevice', { deviceId: props.deviceId });
      removed = true;
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
      aria-labelledby="remove-device-title"
      aria-describedby="remove-device-desc"
      onClose={() => {
        props.onClose(removed);
        if (returnTo?.isConnected === true) returnTo.focus();
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') e.stopPropagation();
        if (dialog !== undefined) trapTab(e, dialog);
      }}
    >
      <h2 id="remove-device-title">Remove “{props.name}”?</h2>
      <p id="remove-device-desc">
        It stops receiving messages at once and deletes its copy of your account the next time it
        connects. You will confirm with your passkey.
      </p>
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
          label="Remove"
          busyLabel="Waiting for your passkey…"
          icon="trash"
          danger
          onClick={() => void remove()}
        />
      </div>
    </dialog>
  );
}
