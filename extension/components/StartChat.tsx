/** "Start a chat with @handle": one field, errors said plainly, focus where it belongs. */
import { createSignal, type JSX, onMount, Show } from 'solid-js';
import { describeError } from '../lib/errors.ts';
import { canonicalHandle, HANDLE_RULE } from '../lib/handles.ts';
import { call } from '../lib/rpc-client.ts';

export function StartChat(props: {
  onStarted: (conversationId: string) => void;
  onCancel: () => void;
}): JSX.Element {
  const [handle, setHandle] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  let input: HTMLInputElement | undefined;
  onMount(() => input?.focus());

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const h = canonicalHandle(handle());
    if (h === null) {
      setError(`Handles are ${HANDLE_RULE}.`);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const conversation = await call('startConversation', { handle: h });
      props.onStarted(conversation.id);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="start-chat">
      <form onSubmit={submit} aria-label="Start a chat">
        <label class="sr-only" for="start-chat-handle">
          Handle
        </label>
        <div class="input-prefix" style={{ flex: '1' }}>
          <span aria-hidden="true">@</span>
          <input
            id="start-chat-handle"
            ref={input}
            class="input"
            placeholder="handle"
            autocomplete="off"
            spellcheck={false}
            value={handle()}
            aria-invalid={error() === null ? undefined : 'true'}
            aria-describedby="start-chat-error"
            onInput={(e) => setHandle(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') props.onCancel();
            }}
          />
        </div>
        <button class="btn btn--primary" type="submit" disabled={busy() || handle().trim() === ''}>
          {busy() ? 'Finding…' : 'Chat'}
        </button>
      </form>
      <Show when={error()}>
        <p id="start-chat-error" class="field__error" role="alert">
          {error()}
        </p>
      </Show>
    </div>
  );
}
