/**
 * "A new device was linked: <name>, <time>" above every Parley view of the
 * account, until dismissed, with one-click removal (the same confirm and
 * passkey as Settings → Linked devices). And the screen a removed browser
 * shows once its data is gone. docs/extension.md, "Linked devices".
 */
import { createSignal, For, type JSX, onCleanup, onMount, Show } from 'solid-js';
import type { ParleyState } from '../lib/app-state.ts';
import { fullDateTime } from '../lib/format.ts';
import type { DeviceNotice } from '../lib/protocol.ts';
import { call } from '../lib/rpc-client.ts';
import { deviceLabel } from './DevicesPage.tsx';
import { Icon } from './Icon.tsx';
import { RemoveDeviceDialog } from './RemoveDeviceDialog.tsx';
import { openOnboarding } from './SetupPrompt.tsx';

export function DeviceNoticeBar(props: { state: ParleyState }): JSX.Element {
  const [notices, setNotices] = createSignal<DeviceNotice[]>([]);
  const [removing, setRemoving] = createSignal<DeviceNotice | null>(null);
  const read = () => {
    void call('listDeviceNotices').then(setNotices, () => undefined);
  };
  onMount(() => {
    read();
    onCleanup(
      props.state.on((event) => {
        if (event.type === 'devices' || event.type === 'resync') read();
      }),
    );
  });
  const dismiss = (n: DeviceNotice) => {
    void call('dismissDeviceNotice', { deviceId: n.deviceId }).then(read, () => undefined);
  };
  return (
    <>
      <For each={notices()}>
        {(n) => (
          <section class="device-notice" role="alert" aria-label="New device linked">
            <Icon name="alert" class="setting-icon" />
            <p>
              A new device was linked:{' '}
              <strong>{deviceLabel({ id: n.deviceId, name: n.name })}</strong>, {fullDateTime(n.at)}
              . If it was not you, remove it now.
            </p>
            <div class="device-notice__actions">
              <button
                type="button"
                class="btn btn--small btn--danger"
                onClick={() => setRemoving(n)}
              >
                Remove
              </button>
              <button type="button" class="btn btn--small" onClick={() => dismiss(n)}>
                Dismiss
              </button>
            </div>
          </section>
        )}
      </For>
      <Show when={removing()}>
        {(n) => (
          <RemoveDeviceDialog
            deviceId={n().deviceId}
            name={deviceLabel({ id: n().deviceId, name: n().name })}
            onClose={() => {
              setRemoving(null);
              read();
            }}
          />
        )}
      </Show>
    </>
  );
}

/** This browser was removed from its account; its Parley data is already gone. */
export function RemovedScreen(props: { removedAt: number; onOpened?: () => void }): JSX.Element {
  const setUpAgain = () => {
    // Forget the removal (and anything left) first, so the new setup starts clean.
    void call('resetOnboarding').finally(() => {
      openOnboarding();
      props.onOpened?.();
    });
  };
  return (
    <main class="empty" aria-labelledby="removed-title">
      <div class="empty__art">
        <Icon name="alert" />
      </div>
      <h1 id="removed-title" tabindex="-1" data-view-heading>
        This browser was removed from your Parley account
      </h1>
      <p>
        Another of your devices removed it on {fullDateTime(props.removedAt)}. Parley deleted its
        messages, contacts and keys from this browser.
      </p>
      <button type="button" class="btn btn--primary btn--large" onClick={setUpAgain}>
        Set up again
        <Icon name="external" />
      </button>
    </main>
  );
}
