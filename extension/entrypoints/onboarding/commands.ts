/**
 * The onboarding page's side effects: runs one command of the state machine
 * (lib/onboarding.ts) and turns its outcome into the machine's next event.
 * A command that throws becomes `failed` (or `statusFailed` for the first
 * status read), so the machine decides what the person sees.
 *
 * Runs in: the onboarding page.
 */
import { browser } from 'wxt/browser';
import type { OnboardingCommand, OnboardingEvent } from '../../lib/onboarding.ts';
import { call } from '../../lib/rpc-client.ts';
import { createPasskey, evaluatePrf } from '../../lib/webauthn.ts';

async function outcome(command: OnboardingCommand): Promise<OnboardingEvent> {
  switch (command.type) {
    case 'loadStatus':
      return { type: 'statusLoaded', status: await call('getStatus') };
    case 'requestPermission':
      // Called before the first await, so still inside the click that started onboarding.
      return {
        type: 'permissionAnswered',
        granted: await browser.permissions.request({ origins: [`${command.origin}/*`] }),
      };
    case 'checkRelay':
      return {
        type: 'relayChecked',
        relayUrl: (await call('checkRelay', { relayUrl: command.relayUrl })).relayUrl,
      };
    case 'recheckStatus':
      return { type: 'statusRechecked', status: await call('getStatus') };
    case 'resetAttempt':
      return { type: 'attemptReset', status: await call('resetOnboarding') };
    case 'beginRegistration': {
      const { relayUrl, handle } = command;
      const start = await call('beginRegistration', { relayUrl, handle });
      return { type: 'registrationBegun', options: start.publicKey };
    }
    case 'createPasskey':
      return {
        type: 'passkeyCreated',
        passkey: await createPasskey(command.options, browser.runtime.id),
      };
    case 'evaluatePrf': {
      const { credentialId, salt } = command;
      const rpId = browser.runtime.id;
      const { prfOutput } = await evaluatePrf({ rpId, credentialIds: [credentialId], salt });
      return { type: 'prfEvaluated', prfOutput };
    }
    case 'createVault':
      await call('createVault', command.secret);
      return { type: 'vaultCreated' };
    case 'finishRegistration':
      return {
        type: 'registered',
        status: await call('finishRegistration', { credential: command.credential }),
      };
  }
}

export async function runCommand(command: OnboardingCommand): Promise<OnboardingEvent> {
  try {
    return await outcome(command);
  } catch (error) {
    return command.type === 'loadStatus'
      ? { type: 'statusFailed', error }
      : { type: 'failed', error };
  }
}
