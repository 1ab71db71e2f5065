/** One line about the relay connection, only when there is something to say. */
import { type JSX, Show } from 'solid-js';
import { relayNotice } from '../lib/format.ts';
import type { RelayStatus } from '../lib/protocol.ts';
import { Icon } from './Icon.tsx';

export function RelayBanner(props: { relay: RelayStatus; now: number }): JSX.Element {
  const notice = () => relayNotice(props.relay, props.now);
  return (
    <Show when={notice()}>
      {(n) => (
        <div class={`banner banner--${n().tone}`} role="status">
          <Icon
            name={
              props.relay.state === 'offline' ? 'wifiOff' : n().tone === 'info' ? 'info' : 'alert'
            }
          />
          <span>{n().text}</span>
        </div>
      )}
    </Show>
  );
}
