/**
 * The three dots above the onboarding card: done, current, to do. The
 * passphrase step counts as the passkey step (it replaces it).
 */
import { For, type JSX } from 'solid-js';
import type { OnboardingStep } from '../../lib/onboarding.ts';

const STEPS: readonly { id: OnboardingStep; label: string }[] = [
  { id: 'account', label: 'Account' },
  { id: 'passkey', label: 'Passkey' },
  { id: 'done', label: 'Ready' },
];

function stepIndex(step: OnboardingStep): number {
  return step === 'passphrase' ? 1 : STEPS.findIndex((s) => s.id === step);
}

export function StepProgress(props: { step: OnboardingStep }): JSX.Element {
  const current = () => stepIndex(props.step);
  return (
    <ol class="steps" aria-label="Progress">
      <For each={STEPS}>
        {(s, i) => (
          <li
            class="steps__item"
            data-state={i() < current() ? 'done' : i() === current() ? 'current' : 'todo'}
            aria-current={i() === current() ? 'step' : undefined}
          >
            <span class="steps__dot" aria-hidden="true">
              {i() < current() ? '✓' : i() + 1}
            </span>
            {s.label}
          </li>
        )}
      </For>
    </ol>
  );
}
