/**
 * Shown instead of the composer when a contact's identity key changed:
 * sending stays blocked until the person has seen the warning and said so.
 */
import { createSignal, type JSX, Show } from 'solid-js';
import { describeError } from '../lib/errors.ts';
import { call } from '../lib/rpc-client.ts';
import { Icon } from './Icon.tsx';

export function IdentityNotice(props: {
  conversationId: string;
  name: string;
  onReview?: () => void;
}): JSX.Element {
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const acknowledge = async () => {
    if (busy()) return;
    setBusy(true);
    setError(null);
    try {
      const contact = await call('getContact', { conversationId: props.conversationId });
      await call('acknowledgeIdentityChange', { userId: contact.userId });
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="notice" role="alert" aria-labelledby="identity-notice-title">
      <div class="notice__title" id="identity-notice-title">
        <Icon name="alert" />
        Safety number changed
      </div>
      <p>
        {props.name}’s safety number is different. They may have reinstalled Parley or added a new
        browser, or someone may be trying to intercept the conversation. Sending is paused until you
        have looked at it.
      </p>
      <div class="notice__actions">
        <Show when={props.onReview}>
          {(review) => (
            <button type="button" class="btn" onClick={() => review()()}>
              <Icon name="shield" />
              Review safety number
            </button>
          )}
        </Show>
        <button
          type="button"
          class="btn btn--primary"
          aria-disabled={busy()}
          onClick={() => void acknowledge()}
        >
          I understand, continue
        </button>
      </div>
      <Show when={error()}>
        <p class="error-text">{error()}</p>
      </Show>
    </section>
  );
}
