/**
 * The button over the bottom of a scrolled-up history: jumps to the newest
 * message and says how many incoming messages are still unread.
 */
import { type JSX, Show } from 'solid-js';
import { Icon } from './Icon.tsx';

export function JumpToLatest(props: { unread: number; onJump: () => void }): JSX.Element {
  return (
    <button
      type="button"
      class="jump-latest"
      onClick={() => props.onJump()}
      title="Jump to the latest message"
    >
      <Show when={props.unread > 0} fallback={<span class="sr-only">Jump to latest</span>}>
        <span>
          {props.unread} new message{props.unread === 1 ? '' : 's'}
        </span>
      </Show>
      <Icon name="chevron" class="rot90" />
    </button>
  );
}
