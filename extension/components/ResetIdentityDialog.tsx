/**
 * "Remove and reset identity?": for a device that was stolen. A modal dialog
 * that says what follows (every other browser removed, contacts see a
 * safety-number change), then a fresh passkey user verification, then the
 * worker's `resetIdentity` (docs/extension.md, "Linked devices").
 */
import type { JSX } from 'solid-js';
import { call } from '../lib/rpc-client.ts';
import { PasskeyConfirmDialog } from './PasskeyConfirmDialog.tsx';

export function ResetIdentityDialog(props: { onClose: (reset: boolean) => void }): JSX.Element {
  return (
    <PasskeyConfirmDialog
      title="Remove all other browsers and reset your identity?"
      action={{ label: 'Reset identity', icon: 'alert', danger: true }}
      onConfirm={async () => {
        await call('resetIdentity');
      }}
      onClose={(reset) => props.onClose(reset)}
    >
      <p>
        For a lost or stolen device: this browser gets new keys and becomes the only one on your
        account. Every other browser is removed at once and reads nothing new.
      </p>
      <p>
        Your contacts will see that your safety number changed; ask them to verify you again. Your
        conversations stay here. You will confirm with your passkey.
      </p>
    </PasskeyConfirmDialog>
  );
}
