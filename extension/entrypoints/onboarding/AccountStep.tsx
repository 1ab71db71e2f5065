/** Onboarding's first step: the relay's address and the handle, each with its hint or error. */
import type { JSX } from 'solid-js';
import { BusyButton } from '../../components/BusyButton.tsx';
import { HANDLE_RULE } from '../../lib/handles.ts';
import type { OnboardingDispatch, OnboardingFlow } from '../../lib/onboarding.ts';
import { RelayHandleFields } from './RelayHandleFields.tsx';

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
      <RelayHandleFields
        relay={{
          id: 'relay-url',
          value: props.state.relayUrl,
          onInput: (value) => props.dispatch({ type: 'edited', field: 'relayUrl', value }),
          autocomplete: 'url',
          note: {
            noteId: 'relay',
            hint: 'The server that passes your encrypted messages along. It never sees what you write.',
            error: props.state.relayError,
          },
        }}
        handle={{
          id: 'handle',
          label: 'Handle',
          value: props.state.handle,
          onInput: (value) => props.dispatch({ type: 'edited', field: 'handle', value }),
          placeholder: 'yourname',
          autofocus: true,
          note: {
            noteId: 'handle',
            hint: `How people find you: ${HANDLE_RULE}.`,
            error: props.state.handleError,
          },
        }}
      />
      <BusyButton
        type="submit"
        busy={props.state.busy}
        label="Continue"
        busyLabel="Checking the relay…"
      />
    </form>
  );
}
