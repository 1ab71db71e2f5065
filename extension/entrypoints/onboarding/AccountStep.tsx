/** Onboarding's first step: the relay's address and the handle, each with its hint or error. */
import { type JSX, Show } from 'solid-js';
import { BusyButton } from '../../components/BusyButton.tsx';
import { HANDLE_RULE } from '../../lib/handles.ts';
import type { OnboardingDispatch, OnboardingFlow } from '../../lib/onboarding.ts';

export function AccountStep(props: {
  state: OnboardingFlow;
  dispatch: OnboardingDispatch;
}): JSX.Element {
  const submit = (e: SubmitEvent) => {
    e.preventDefault();
    props.dispatch({ type: 'continue' });
  };
  return (
    <form class="onb__form" onSubmit={submit} novalidate>
      <div class="field">
        <label class="field__label" for="relay-url">
          Relay
        </label>
        <input
          id="relay-url"
          class="input"
          type="url"
          inputmode="url"
          autocomplete="url"
          spellcheck={false}
          value={props.state.relayUrl}
          aria-invalid={props.state.relayError === null ? undefined : 'true'}
          aria-describedby={props.state.relayError === null ? 'relay-hint' : 'relay-error'}
          onInput={(e) =>
            props.dispatch({ type: 'edited', field: 'relayUrl', value: e.currentTarget.value })
          }
        />
        <Show
          when={props.state.relayError}
          fallback={
            <span class="field__hint" id="relay-hint">
              The server that passes your encrypted messages along. It never sees what you write.
            </span>
          }
        >
          <span class="field__error" id="relay-error" role="alert">
            {props.state.relayError}
          </span>
        </Show>
      </div>
      <div class="field">
        <label class="field__label" for="handle">
          Handle
        </label>
        <div class="input-prefix">
          <span aria-hidden="true">@</span>
          <input
            id="handle"
            class="input"
            autocomplete="username"
            autocapitalize="none"
            spellcheck={false}
            placeholder="yourname"
            value={props.state.handle}
            aria-invalid={props.state.handleError === null ? undefined : 'true'}
            aria-describedby={props.state.handleError === null ? 'handle-hint' : 'handle-error'}
            onInput={(e) =>
              props.dispatch({ type: 'edited', field: 'handle', value: e.currentTarget.value })
            }
            data-autofocus
          />
        </div>
        <Show
          when={props.state.handleError}
          fallback={
            <span class="field__hint" id="handle-hint">
              How people find you: {HANDLE_RULE}.
            </span>
          }
        >
          <span class="field__error" id="handle-error" role="alert">
            {props.state.handleError}
          </span>
        </Show>
      </div>
      <BusyButton
        type="submit"
        busy={props.state.busy}
        label="Continue"
        busyLabel="Checking the relay…"
      />
    </form>
  );
}
