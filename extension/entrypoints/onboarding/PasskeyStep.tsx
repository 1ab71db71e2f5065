/** Onboarding's second step: create the passkey that signs in and (with PRF) opens the vault. */
import type { JSX } from 'solid-js';
import { BusyButton } from '../../components/BusyButton.tsx';
import { Icon } from '../../components/Icon.tsx';
import { canonicalHandle } from '../../lib/handles.ts';
import type { OnboardingDispatch, OnboardingFlow } from '../../lib/onboarding.ts';

export function PasskeyStep(props: {
  state: OnboardingFlow;
  dispatch: OnboardingDispatch;
}): JSX.Element {
  return (
    <div class="onb__form">
      <div class="onb__explain">
        <div class="onb__badge">
          <Icon name="passkey" />
        </div>
        <div>
          <h2>Create your passkey</h2>
          <p>
            Your passkey signs you in as{' '}
            <strong>@{canonicalHandle(props.state.handle) ?? props.state.handle}</strong> and
            unlocks the vault that keeps your messages on this browser. No password to remember or
            leak.
          </p>
        </div>
      </div>
      <BusyButton
        busy={props.state.busy}
        icon="passkey"
        label="Create passkey"
        busyLabel="Waiting for your passkey…"
        onClick={() => props.dispatch({ type: 'createPasskey' })}
        autofocus
      />
      <button
        type="button"
        class="link-btn"
        onClick={() => props.dispatch({ type: 'changeAccount' })}
        aria-disabled={props.state.busy}
      >
        Change relay or handle
      </button>
    </div>
  );
}
