/** Onboarding's fallback step: a passphrase for the vault when the passkey has no PRF. */
import type { JSX } from 'solid-js';
import { BusyButton } from '../../components/BusyButton.tsx';
import { Icon } from '../../components/Icon.tsx';
import type { OnboardingDispatch, OnboardingFlow } from '../../lib/onboarding.ts';
import { PASSPHRASE_MIN_CHARS } from '../../lib/protocol.ts';

export function PassphraseStep(props: {
  state: OnboardingFlow;
  dispatch: OnboardingDispatch;
}): JSX.Element {
  const submit = (e: SubmitEvent) => {
    e.preventDefault();
    props.dispatch({ type: 'submitPassphrase' });
  };
  return (
    <form class="onb__form" onSubmit={submit}>
      <div class="onb__explain">
        <div class="onb__badge">
          <Icon name="key" />
        </div>
        <div>
          <h2>Choose a vault passphrase</h2>
          <p>
            Your authenticator cannot unlock Parley’s vault by itself, so this browser needs a
            passphrase. It never leaves this device and cannot be recovered.
          </p>
        </div>
      </div>
      <div class="field">
        <label class="field__label" for="passphrase">
          Passphrase
        </label>
        <input
          id="passphrase"
          class="input"
          type="password"
          autocomplete="new-password"
          value={props.state.passphrase}
          onInput={(e) =>
            props.dispatch({ type: 'edited', field: 'passphrase', value: e.currentTarget.value })
          }
          data-autofocus
        />
        <span class="field__hint">
          At least {PASSPHRASE_MIN_CHARS} characters; a few unrelated words work well.
        </span>
      </div>
      <div class="field">
        <label class="field__label" for="passphrase-confirm">
          Repeat it
        </label>
        <input
          id="passphrase-confirm"
          class="input"
          type="password"
          autocomplete="new-password"
          value={props.state.confirm}
          onInput={(e) =>
            props.dispatch({ type: 'edited', field: 'confirm', value: e.currentTarget.value })
          }
        />
      </div>
      <BusyButton
        type="submit"
        busy={props.state.busy}
        label="Create vault"
        busyLabel="Sealing the vault…"
      />
    </form>
  );
}
