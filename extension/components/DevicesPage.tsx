/**
 * Settings → Linked devices: the account's devices (name, when added, "this
 * browser"), removing one (RemoveDeviceDialog: confirm + passkey), and
 * linking a new one (LinkApprove), and "Remove and reset identity" for a
 * stolen device (ResetIdentityDialog). docs/extension.md, "Linked devices".
 */
import { createSignal, For, type JSX, Show } from 'solid-js';
import type { ParleyState } from '../lib/app-state.ts';
import { fullDateTime } from '../lib/format.ts';
import { createPageData } from '../lib/page-data.ts';
import type { DeviceView } from '../lib/protocol.ts';
import { call } from '../lib/rpc-client.ts';
import { BackButton } from './BackButton.tsx';
import { ErrorLine } from './ErrorLine.tsx';
import { Icon } from './Icon.tsx';
import { LinkApprove } from './LinkApprove.tsx';
import { RemoveDeviceDialog } from './RemoveDeviceDialog.tsx';
import { ResetIdentityDialog } from './ResetIdentityDialog.tsx';

export function deviceLabel(d: { readonly id: number; readonly name: string | null }): string {
  return d.name ?? `Device ${d.id}`;
}

export function DevicesPage(props: { state: ParleyState; onBack: () => void }): JSX.Element {
  const devices = createPageData<DeviceView[]>({
    read: () => call('listDevices'),
    events: props.state.on,
    stale: (event) => event.type === 'devices' || event.type === 'resync',
  });
  const [removing, setRemoving] = createSignal<DeviceView | null>(null);
  const [linking, setLinking] = createSignal(false);
  const [resetting, setResetting] = createSignal(false);

  return (
    <main class="view">
      <header class="chat-head">
        <BackButton label="Back to settings" onBack={props.onBack} />
        <h1 class="topbar__title" style={{ margin: '0' }} tabindex="-1" data-view-heading>
          Linked devices
        </h1>
      </header>
      <Show when={removing()}>
        {(d) => (
          <RemoveDeviceDialog
            deviceId={d().id}
            name={deviceLabel(d())}
            onClose={(removed) => {
              setRemoving(null);
              if (removed) void devices.reload();
            }}
          />
        )}
      </Show>
      <Show when={resetting()}>
        <ResetIdentityDialog
          onClose={(reset) => {
            setResetting(false);
            if (reset) void devices.reload();
          }}
        />
      </Show>
      <div class="scroll">
        <div class="page">
          <section>
            <h2 class="section-title">This account’s devices</h2>
            <p class="setting__desc">
              Every device here can read and send your messages. Remove any you do not recognise.
            </p>
            <ul class="settings-list device-list">
              <For each={devices.value() ?? []}>
                {(d) => (
                  <li class="setting">
                    <Icon name="panel" class="setting-icon" />
                    <div class="setting__text">
                      <div class="setting__label">
                        {deviceLabel(d)}
                        <Show when={d.current}>
                          <span class="badge">This browser</span>
                        </Show>
                      </div>
                      <div class="setting__desc">Added {fullDateTime(d.addedAt)}</div>
                      <div class="setting__desc">{lastActive(d)}</div>
                    </div>
                    <Show when={d.current}>
                      <button
                        type="button"
                        class="btn btn--small"
                        aria-label={`Rename ${deviceLabel(d)}`}
                        onClick={() => {
                          const name = window.prompt('Name for this browser', d.name ?? '');
                          if (name !== null && name.trim() !== '')
                            void call('renameThisDevice', { name: name.trim() }).then(
                              () => devices.reload(),
                              () => undefined,
                            );
                        }}
                      >
                        Rename
                      </button>
                    </Show>
                    <Show when={!d.current}>
                      <button
                        type="button"
                        class="btn btn--small btn--danger"
                        aria-label={`Remove ${deviceLabel(d)}`}
                        onClick={() => setRemoving(d)}
                      >
                        <Icon name="trash" />
                        Remove
                      </button>
                    </Show>
                  </li>
                )}
              </For>
            </ul>
          </section>
          <section>
            <h2 class="section-title">Add a browser</h2>
            <Show
              when={linking()}
              fallback={
                <button
                  type="button"
                  class="btn btn--block"
                  data-opens="link"
                  onClick={() => setLinking(true)}
                >
                  <Icon name="compose" />
                  Link a new device
                </button>
              }
            >
              <LinkApprove
                onClose={() => setLinking(false)}
                onLinked={() => void devices.reload()}
              />
            </Show>
          </section>
          <section>
            <h2 class="section-title">Lost or stolen device</h2>
            <p class="setting__desc">
              Removes every other browser and gives your account new keys. Contacts see a
              safety-number change.
            </p>
            <button
              type="button"
              class="btn btn--block btn--danger"
              onClick={() => setResetting(true)}
            >
              <Icon name="alert" />
              Remove and reset identity
            </button>
          </section>
          <ErrorLine error={devices.error()} />
        </div>
      </div>
    </main>
  );
}

/** "Active now" for this browser; otherwise when the device last connected to the relay. */
function lastActive(d: DeviceView): string {
  if (d.current) return 'Active now';
  return d.lastSeenAt === null ? 'Not connected yet' : `Last active ${fullDateTime(d.lastSeenAt)}`;
}
