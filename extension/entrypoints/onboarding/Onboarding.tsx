/**
 * Onboarding, in a tab of its own: relay and handle → passkey (created here:
 * WebAuthn only runs in documents) → vault → account registered.
 *
 * The vault is opened by the passkey's PRF output when the authenticator
 * supports PRF; otherwise the person chooses a passphrase for this browser.
 * The steps and their order are lib/onboarding.ts's state machine; this page
 * renders its state and runs its commands (commands.ts).
 */
import {
  createEffect,
  createMemo,
  createSignal,
  type JSX,
  Match,
  on,
  onMount,
  Show,
  Switch,
} from 'solid-js';
import logoUrl from '../../assets/icon.svg';
import { Icon } from '../../components/Icon.tsx';
import { focusView } from '../../lib/focus.ts';
import {
  INITIAL_ONBOARDING,
  type OnboardingDispatch,
  type OnboardingFlow,
  onboardingStep,
} from '../../lib/onboarding.ts';
import { call } from '../../lib/rpc-client.ts';
import { AccountStep } from './AccountStep.tsx';
import { runCommand } from './commands.ts';
import { DoneStep } from './DoneStep.tsx';
import { LinkFlow } from './LinkFlow.tsx';
import { PasskeyStep } from './PasskeyStep.tsx';
import { PassphraseStep } from './PassphraseStep.tsx';
import { RestoreFlow } from './RestoreFlow.tsx';
import { StepProgress } from './StepProgress.tsx';

/** The machine's state as a signal; each command runs at once (still inside the click). */
function createOnboarding(): [() => OnboardingFlow, OnboardingDispatch] {
  const [state, setState] = createSignal<OnboardingFlow>(INITIAL_ONBOARDING);
  const dispatch: OnboardingDispatch = (event) => {
    const { state: nextState, command } = onboardingStep(state(), event);
    setState(nextState);
    if (command !== null) void runCommand(command).then(dispatch);
  };
  return [state, dispatch];
}

export function Onboarding(): JSX.Element {
  const [state, dispatch] = createOnboarding();
  onMount(() => dispatch({ type: 'opened' }));
  const step = createMemo(() => state().step);
  /** Create an account here, or link this browser to one another browser has. */
  const [mode, setMode] = createSignal<'create' | 'link' | 'restore'>('create');
  let card: HTMLElement | undefined;
  // Each step moves focus to its first control or heading: the step that held it is gone.
  createEffect(on([step, mode], () => focusView(() => card)));
  const linked = () => {
    void call('getStatus').then((status) => {
      setMode('create');
      dispatch({ type: 'statusLoaded', status });
    });
  };

  return (
    <div class="onb">
      <main class="onb__card" aria-labelledby="onb-title" ref={card}>
        <header class="onb__head">
          <img src={logoUrl} alt="" width="44" height="44" />
          <div>
            <h1 id="onb-title">Set up Parley</h1>
            <p>End-to-end encrypted chat in your toolbar.</p>
          </div>
        </header>

        <Show when={step() === 'account'}>
          <fieldset class="onb__choice">
            <legend class="sr-only">How to set up</legend>
            <button
              type="button"
              aria-pressed={mode() === 'create'}
              onClick={() => setMode('create')}
            >
              Create an account
            </button>
            <button type="button" aria-pressed={mode() === 'link'} onClick={() => setMode('link')}>
              Link to an existing account
            </button>
            <button
              type="button"
              aria-pressed={mode() === 'restore'}
              onClick={() => setMode('restore')}
            >
              Restore from a backup
            </button>
          </fieldset>
        </Show>

        <Show when={!(step() === 'account' && mode() !== 'create')}>
          <StepProgress step={step()} />
        </Show>

        <Switch>
          <Match when={step() === 'account' && mode() === 'link'}>
            <LinkFlow onDone={linked} onBack={() => setMode('create')} />
          </Match>
          <Match when={step() === 'account' && mode() === 'restore'}>
            <RestoreFlow
              onDone={linked}
              onBack={() => setMode('create')}
              onLink={() => setMode('link')}
            />
          </Match>
          <Match when={step() === 'account'}>
            <AccountStep state={state()} dispatch={dispatch} />
          </Match>
          <Match when={step() === 'passkey'}>
            <PasskeyStep state={state()} dispatch={dispatch} />
          </Match>
          <Match when={step() === 'passphrase'}>
            <PassphraseStep state={state()} dispatch={dispatch} />
          </Match>
          <Match when={step() === 'done'}>
            <DoneStep status={state().status} />
          </Match>
        </Switch>

        <Show when={state().error}>
          <p class="onb__error" role="alert">
            <Icon name="alert" />
            <span>{state().error}</span>
          </p>
        </Show>
      </main>
      <footer class="onb__foot">
        <Icon name="lock" /> Keys are created in this browser and never leave it. The relay only
        stores ciphertext.
      </footer>
    </div>
  );
}
