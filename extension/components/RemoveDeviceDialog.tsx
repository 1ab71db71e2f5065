/**
 * "Remove <device>?": a modal dialog naming the device, then a fresh passkey
 * user verification, then the signed device list without it (the relay
 * revokes it at once). Used by Settings → Linked devices and by the "a new
 * device was linked" notice (docs/extension.md, "Linked devices").
 */
import type { JSX } from 'solid-js';
import { call } from '../lib/rpc-client.ts';
import { PasskeyConfirmDialog } from './PasskeyConfirmDialog.tsx';

export function RemoveDeviceDialog(props: {
  deviceId: number;
  name: string;
  onClose: (removed: boolean) => void;
}): JSX.Element {
  return (
    <PasskeyConfirmDialog
      title={`Remove “${props.name}”?`}
      action={{ label: 'Remove', icon: 'trash', danger: true }}
      onConfirm={async () => {
        await call('removeDevice', { deviceId: props.deviceId });
      }}
      onClose={(removed) => props.onClose(removed)}
    >
      <p>
        It stops receiving messages at once and deletes its copy of your account the next time it
        connects. You will confirm with your passkey.
      </p>
    </PasskeyConfirmDialog>
  );
}
