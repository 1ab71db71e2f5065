/** Nothing set up yet (or onboarding left halfway): point to the onboarding page. */
import type { JSX } from 'solid-js';
import { browser } from 'wxt/browser';
import type { OnboardingState } from '../lib/protocol.ts';
import { EmptyState } from './EmptyState.tsx';
import { Icon } from './Icon.tsx';

export function openOnboarding(): void {
  void browser.tabs.create({ url: browser.runtime.getURL('/onboarding.html') });
}

export function SetupPrompt(props: {
  onboarding: OnboardingState;
  onOpened?: () => void;
}): JSX.Element {
  const resume = () => props.onboarding === 'vault-ready';
  return (
    <EmptyState icon="chat" title={resume() ? 'Finish setting up Parley' : 'Welcome to Parley'}>
      <p>
        {resume()
          ? 'Your vault is ready; the account still needs to be registered with a relay.'
          : 'Private messages from your toolbar. Your keys are created here and never leave this browser.'}
      </p>
      <button
        type="button"
        class="btn btn--primary btn--large"
        onClick={() => {
          openOnboarding();
          props.onOpened?.();
        }}
      >
        {resume() ? 'Continue setup' : 'Set up Parley'}
        <Icon name="external" />
      </button>
    </EmptyState>
  );
}
