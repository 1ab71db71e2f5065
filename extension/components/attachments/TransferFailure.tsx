/**
 * Why a transfer failed, as a sentence, with Retry unless the file expired.
 * Shared by the file card, the inline image and the voice note player.
 */
import { type JSX, Show } from 'solid-js';
import type { TransferState } from '../../lib/attachments/use-transfer.ts';
import { Icon } from '../Icon.tsx';

export function Failure(props: { state: TransferState; onRetry: () => void }): JSX.Element {
  return (
    <Show when={props.state.phase === 'failed' ? props.state : undefined}>
      {(failed) => (
        <div class="attachment__error" role="alert">
          <Icon name="alert" />
          <span>{failed().message}</span>
          <Show when={!failed().expired}>
            <button type="button" class="btn btn--small" onClick={props.onRetry}>
              <Icon name="retry" /> Retry
            </button>
          </Show>
        </div>
      )}
    </Show>
  );
}
