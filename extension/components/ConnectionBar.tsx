/**
 * The slim bar about the relay connection, above every view of the chat
 * (list, conversation, contact, group, settings), only when there is
 * something to say: connecting, offline, unreachable with a countdown, and
 * "Retry now". The problem sits in a polite live region and is announced
 * once; the countdown beside it ticks every second, so it is not announced.
 */
import { createMemo, createSignal, type JSX, Show } from 'solid-js';
import { type RelayNotice, relayNotice } from '../lib/format.ts';
import type { RelayStatus } from '../lib/protocol.ts';
import { call } from '../lib/rpc-client.ts';
import { Icon } from './Icon.tsx';

export function ConnectionBar(props: { relay: RelayStatus; now: number }): JSX.Element {
  // A retry's own "connecting" keeps the problem on screen ("retrying now") rather than
  // flipping the live region between "Relay unreachable" and "Connecting…" every few seconds.
  const notice = createMemo<RelayNotice | null>((previous) => {
    const next = relayNotice(props.relay, props.now);
    if (props.relay.state === 'connecting' && previous?.detail != null) {
      return { ...previous, detail: 'retrying now' };
    }
    return next;
  }, null);
  const [retrying, setRetrying] = createSignal(false);
  const retryNow = () => {
    setRetrying(true);
    void call('reconnectNow')
      .catch(() => undefined) // the bar itself shows how the next attempt went
      .finally(() => setRetrying(false));
  };
  return (
    <div class="conn-bar-slot">
      <Show when={notice()}>
        {(n) => (
          <div class={`conn-bar banner banner--${n().tone}`} data-state={props.relay.state}>
            <Icon
              name={
                props.relay.state === 'offline' ? 'wifiOff' : n().tone === 'info' ? 'info' : 'alert'
              }
            />
            <span class="conn-bar__text">
              <span role="status">{n().text}</span>
              <Show when={n().detail}>
                {(detail) => (
                  <span class="conn-bar__detail" aria-hidden="true">
                    {' '}
                    — {detail()}
                  </span>
                )}
              </Show>
            </span>
            <Show when={n().canRetry}>
              <button
                type="button"
                class="conn-bar__retry"
                disabled={retrying()}
                onClick={retryNow}
              >
                Retry now
              </button>
            </Show>
          </div>
        )}
      </Show>
    </div>
  );
}
