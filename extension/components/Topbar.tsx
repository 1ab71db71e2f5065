/**
 * The list's top bar: the name with the relay's connection dot, "start a
 * chat", settings (side panel) or "open in side panel" (popup), and lock.
 */
import { type JSX, Show } from 'solid-js';
import logoUrl from '../assets/icon.svg';
import type { RelayStatus } from '../lib/protocol.ts';
import { call } from '../lib/rpc-client.ts';
import { Icon } from './Icon.tsx';

export function Topbar(props: {
  relay: RelayStatus | undefined;
  /** The popup offers the side panel instead of settings. */
  popup: boolean;
  composing: boolean;
  onToggleCompose: () => void;
  onOpenSettings: () => void;
  onOpenInPanel: () => void;
}): JSX.Element {
  return (
    <header class="topbar">
      <div class="topbar__title">
        <img src={logoUrl} alt="" />
        <h1 class="topbar__name">Parley</h1>
        <Show when={props.relay}>
          {(relay) => (
            <span
              class="conn-dot"
              data-state={relay().state}
              role="img"
              aria-label={
                relay().state === 'online' ? 'Connected to relay' : `Relay: ${relay().state}`
              }
            />
          )}
        </Show>
      </div>
      <div class="topbar__actions">
        <button
          type="button"
          class="icon-btn"
          aria-label="Start a chat"
          aria-pressed={props.composing}
          data-opens="compose"
          onClick={() => props.onToggleCompose()}
        >
          <Icon name="compose" />
        </button>
        <Show
          when={props.popup}
          fallback={
            <button
              type="button"
              class="icon-btn"
              aria-label="Settings"
              data-opens="settings"
              onClick={() => props.onOpenSettings()}
            >
              <Icon name="settings" />
            </button>
          }
        >
          <button
            type="button"
            class="icon-btn"
            aria-label="Open in side panel"
            onClick={() => props.onOpenInPanel()}
          >
            <Icon name="panel" />
          </button>
        </Show>
        <button
          type="button"
          class="icon-btn"
          aria-label="Lock Parley"
          onClick={() => void call('lock')}
        >
          <Icon name="lock" />
        </button>
      </div>
    </header>
  );
}
