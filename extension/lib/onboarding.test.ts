import { describe, expect, it } from 'vitest';
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import { ExtErrorCode, extError } from './errors.ts';
import { HANDLE_RULE } from './handles.ts';
import {
  INITIAL_ONBOARDING,
  type OnboardingCommand,
  type OnboardingEvent,
  type OnboardingFlow,
  onboardingStep,
} from './onboarding.ts';
import type { AppStatus, RegistrationCredentialJson } from './protocol.ts';
import type { CreatedPasskey } from './webauthn.ts';

function status(onboarding: AppStatus['onboarding'], handle?: string): AppStatus {
  return {
    vault: onboarding === 'new' ? 'none' : 'unlocked',
    onboarding,
    account: handle === undefined ? null : { handle, relayUrl: 'https://relay.example' },
    relay: { state: 'offline' },
    unread: 0,
    unlockMethods: [],
    autoLockAt: null,
  };
}

const credential: RegistrationCredentialJson = {
  id: 'cred',
  rawId: 'cred',
  type: 'public-key',
  response: { clientDataJSON: 'client-data', attestationObject: 'attestation' },
  clientExtensionResults: {},
};

function passkey(prf: { output: string | null; enabled: boolean }): CreatedPasskey {
  return {
    credential,
    credentialId: 'cred',
    prfSalt: 'salt',
    prfOutput: prf.output,
    prfEnabled: prf.enabled,
  };
}

const OPTIONS = { challenge: 'c' };
const ATTEMPT = { relayUrl: 'http://127.0.0.1:8787', handle: 'alice' };
const filled: OnboardingFlow = { ...INITIAL_ONBOARDING, handle: 'Alice' };
const checking: OnboardingFlow = { ...filled, busy: true, attempt: ATTEMPT };
const onPasskey: OnboardingFlow = {
  ...filled,
  step: 'passkey',
  attempt: ATTEMPT,
  creationOptions: OPTIONS,
};
const creating: OnboardingFlow = { ...onPasskey, busy: true };
const onPassphrase: OnboardingFlow = {
  ...onPasskey,
  step: 'passphrase',
  passkey: passkey({ output: null, enabled: false }),
  passphrase: 'correct horse battery',
  confirm: 'correct horse battery',
};
const withErrors: OnboardingFlow = {
  ...filled,
  relayError: 'old relay error',
  handleError: 'old handle error',
  error: 'old error',
};

interface Row {
  readonly name: string;
  readonly from: OnboardingFlow;
  readonly event: OnboardingEvent;
  /** The fields of the next state that matter for this row. */
  readonly to: Partial<OnboardingFlow>;
  readonly command: OnboardingCommand | null;
}

const ROWS: readonly Row[] = [
  // Opening: the status decides where to start and fills in a known account.
  {
    name: 'opening asks for the status',
    from: INITIAL_ONBOARDING,
    event: { type: 'opened' },
    to: { step: 'account', busy: false },
    command: { type: 'loadStatus' },
  },
  {
    name: 'a complete onboarding goes straight to done, with the account filled in',
    from: INITIAL_ONBOARDING,
    event: { type: 'statusLoaded', status: status('complete', 'alice') },
    to: { step: 'done', relayUrl: 'https://relay.example', handle: 'alice' },
    command: null,
  },
  {
    name: 'a new browser stays on the account step with the default relay',
    from: INITIAL_ONBOARDING,
    event: { type: 'statusLoaded', status: status('new') },
    to: { step: 'account', relayUrl: 'http://127.0.0.1:8787', handle: '' },
    command: null,
  },
  {
    name: 'a status that cannot be read is said under the card',
    from: INITIAL_ONBOARDING,
    event: {
      type: 'statusFailed',
      error: extError(ExtErrorCode.WORKER_UNREACHABLE, 'no answer'),
    },
    to: { error: 'Parley’s background service is not responding. Try again in a moment.' },
    command: null,
  },
  {
    name: 'typing edits a field',
    from: INITIAL_ONBOARDING,
    event: { type: 'edited', field: 'handle', value: 'bob' },
    to: { handle: 'bob' },
    command: null,
  },

  // Continue: fields checked locally first, then permission (https only) and the relay.
  {
    name: 'an empty handle is refused before anything is asked',
    from: { ...withErrors, handle: '' },
    event: { type: 'continue' },
    to: { handleError: 'Enter a handle.', relayError: null, error: null, busy: false },
    command: null,
  },
  {
    name: 'an address that is no URL is refused beside the relay field',
    from: { ...withErrors, relayUrl: 'not a url' },
    event: { type: 'continue' },
    to: {
      relayError: 'Enter the relay’s address, such as https://relay.example.',
      handleError: null,
      error: null,
      busy: false,
    },
    command: null,
  },
  {
    name: 'a local relay is checked at once, with the canonical handle kept for the attempt',
    from: withErrors,
    event: { type: 'continue' },
    to: { busy: true, attempt: ATTEMPT, relayError: null, handleError: null, error: null },
    command: { type: 'checkRelay', relayUrl: 'http://127.0.0.1:8787' },
  },
  {
    name: 'an https relay asks for its origin first',
    from: { ...filled, relayUrl: ' https://relay.example/path ' },
    event: { type: 'continue' },
    to: { busy: true },
    command: { type: 'requestPermission', origin: 'https://relay.example' },
  },
  {
    name: 'a second Continue while one runs is ignored',
    from: checking,
    event: { type: 'continue' },
    to: checking,
    command: null,
  },
  {
    name: 'permission given: the relay is checked',
    from: checking,
    event: { type: 'permissionAnswered', granted: true },
    to: { busy: true },
    command: { type: 'checkRelay', relayUrl: 'http://127.0.0.1:8787' },
  },
  {
    name: 'permission refused: said beside the relay field',
    from: checking,
    event: { type: 'permissionAnswered', granted: false },
    to: {
      busy: false,
      step: 'account',
      relayError:
        'Parley needs your permission to talk to this relay. Continue again and allow it.',
    },
    command: null,
  },
  {
    name: 'a reachable relay: the status is asked afresh before registering',
    from: checking,
    event: { type: 'relayChecked', relayUrl: 'http://127.0.0.1:8787/' },
    to: { busy: true, attempt: { relayUrl: 'http://127.0.0.1:8787/', handle: 'alice' } },
    command: { type: 'recheckStatus' },
  },
  {
    name: 'an unreachable relay is named beside its field',
    from: checking,
    event: { type: 'failed', error: new ParleyError(ErrorCode.RELAY_UNREACHABLE, 'down') },
    to: {
      busy: false,
      relayError:
        'Relay unreachable at 127.0.0.1:8787. Is it running? (npm start starts one locally.)',
    },
    command: null,
  },
  {
    name: 'an invalid relay address from the worker is said beside the relay field',
    from: checking,
    event: {
      type: 'failed',
      // Rendered from the details; the message text is for logs.
      error: new ParleyError(ErrorCode.BODY_INVALID, 'Invalid relayUrl: (logged text)', {
        path: 'relayUrl',
        reason: 'must use https',
      }),
    },
    to: { busy: false, relayError: 'The relay address must use https.' },
    command: null,
  },

  // The vault of an attempt the relay refused is dropped before the next one.
  {
    name: 'nothing left from before: registration begins',
    from: checking,
    event: { type: 'statusRechecked', status: status('new') },
    to: { busy: true },
    command: { type: 'beginRegistration', ...ATTEMPT },
  },
  {
    name: 'a vault from a refused attempt is reset first',
    from: checking,
    event: { type: 'statusRechecked', status: status('vault-ready') },
    to: { busy: true },
    command: { type: 'resetAttempt' },
  },
  {
    name: 'after the reset, registration begins',
    from: checking,
    event: { type: 'attemptReset', status: status('new') },
    to: { busy: true, status: status('new') },
    command: { type: 'beginRegistration', ...ATTEMPT },
  },
  {
    name: 'the relay offers passkey options: the passkey step',
    from: checking,
    event: { type: 'registrationBegun', options: OPTIONS },
    to: { step: 'passkey', busy: false, creationOptions: OPTIONS },
    command: null,
  },
  {
    name: 'an invalid handle from the relay is explained beside the handle field',
    from: { ...checking, handle: 'a' },
    event: { type: 'failed', error: new ParleyError(ErrorCode.HANDLE_INVALID, 'bad') },
    to: { step: 'account', busy: false, handleError: `Use ${HANDLE_RULE}.` },
    command: null,
  },

  // Passkey: PRF opens the vault; without it, the passphrase step.
  {
    name: 'Create passkey starts the ceremony with the relay’s options',
    from: { ...onPasskey, error: 'old error' },
    event: { type: 'createPasskey' },
    to: { busy: true, error: null },
    command: { type: 'createPasskey', options: OPTIONS },
  },
  {
    name: 'Create passkey without options goes back to the account step',
    from: { ...onPasskey, creationOptions: null },
    event: { type: 'createPasskey' },
    to: { step: 'account', busy: false },
    command: null,
  },
  {
    name: 'a PRF output at creation opens the vault with it',
    from: creating,
    event: { type: 'passkeyCreated', passkey: passkey({ output: 'out', enabled: true }) },
    to: { busy: true, passkey: passkey({ output: 'out', enabled: true }) },
    command: {
      type: 'createVault',
      secret: { method: 'prf', credentialId: 'cred', prfSalt: 'salt', prfOutput: 'out' },
    },
  },
  {
    name: 'PRF enabled but no output yet: one more touch',
    from: creating,
    event: { type: 'passkeyCreated', passkey: passkey({ output: null, enabled: true }) },
    to: { busy: true, step: 'passkey' },
    command: { type: 'evaluatePrf', credentialId: 'cred', salt: 'salt' },
  },
  {
    name: 'the evaluated PRF output opens the vault',
    from: { ...creating, passkey: passkey({ output: null, enabled: true }) },
    event: { type: 'prfEvaluated', prfOutput: 'late' },
    to: { busy: true },
    command: {
      type: 'createVault',
      secret: { method: 'prf', credentialId: 'cred', prfSalt: 'salt', prfOutput: 'late' },
    },
  },
  {
    name: 'no PRF at all: the passphrase step',
    from: creating,
    event: { type: 'passkeyCreated', passkey: passkey({ output: null, enabled: false }) },
    to: { busy: false, step: 'passphrase' },
    command: null,
  },
  {
    name: 'a closed passkey dialog is said under the card, still on the passkey step',
    from: creating,
    event: { type: 'failed', error: extError(ExtErrorCode.PASSKEY_CANCELLED, 'closed') },
    to: {
      busy: false,
      step: 'passkey',
      error: 'The passkey dialog was closed before it finished. Try again when you are ready.',
    },
    command: null,
  },
  {
    name: 'Change relay or handle goes back to the account step',
    from: onPasskey,
    event: { type: 'changeAccount' },
    to: { step: 'account' },
    command: null,
  },
  {
    name: 'the vault is made: the account is registered with the passkey',
    from: { ...creating, passkey: passkey({ output: 'out', enabled: true }) },
    event: { type: 'vaultCreated' },
    to: { busy: true },
    command: { type: 'finishRegistration', credential },
  },
  {
    name: 'registered: done, with the account from the answer',
    from: { ...creating, passkey: passkey({ output: 'out', enabled: true }) },
    event: { type: 'registered', status: status('complete', 'alice') },
    to: { step: 'done', busy: false, status: status('complete', 'alice') },
    command: null,
  },

  // Passphrase vault.
  {
    name: 'a short passphrase is refused',
    from: { ...onPassphrase, passphrase: 'short', confirm: 'short' },
    event: { type: 'submitPassphrase' },
    to: { error: 'Use at least 10 characters.', busy: false },
    command: null,
  },
  {
    name: 'two different passphrases are refused',
    from: { ...onPassphrase, confirm: 'correct horse battery!' },
    event: { type: 'submitPassphrase' },
    to: { error: 'The two passphrases do not match.', busy: false },
    command: null,
  },
  {
    name: 'no passkey yet: asked to create it first',
    from: { ...onPassphrase, passkey: null },
    event: { type: 'submitPassphrase' },
    to: { error: 'Create the passkey first.', busy: false },
    command: null,
  },
  {
    name: 'a good passphrase seals the vault',
    from: { ...onPassphrase, error: 'old error' },
    event: { type: 'submitPassphrase' },
    to: { busy: true, error: null },
    command: {
      type: 'createVault',
      secret: { method: 'passphrase', passphrase: 'correct horse battery' },
    },
  },
  {
    name: 'the passphrase is dropped from the page once the vault is made',
    from: { ...onPassphrase, busy: true },
    event: { type: 'vaultCreated' },
    to: { passphrase: '', confirm: '', busy: true },
    command: { type: 'finishRegistration', credential },
  },

  // HANDLE_TAKEN comes only at registration (verify): back to the handle field.
  {
    name: 'a taken handle at registration after a PRF vault: back to the account step',
    from: { ...creating, passkey: passkey({ output: 'out', enabled: true }) },
    event: { type: 'failed', error: new ParleyError(ErrorCode.HANDLE_TAKEN, 'taken') },
    to: {
      step: 'account',
      busy: false,
      handleError: '@alice is already taken. Try another handle.',
      error: null,
    },
    command: null,
  },
  {
    name: 'a taken handle at registration after a passphrase vault: back to the account step',
    from: { ...onPassphrase, busy: true, passphrase: '', confirm: '' },
    event: { type: 'failed', error: new ParleyError(ErrorCode.HANDLE_TAKEN, 'taken') },
    to: {
      step: 'account',
      busy: false,
      handleError: '@alice is already taken. Try another handle.',
    },
    command: null,
  },

  // Outcomes belong to a chain that runs.
  {
    name: 'an outcome with nothing running is ignored',
    from: onPasskey,
    event: { type: 'registered', status: status('complete', 'alice') },
    to: onPasskey,
    command: null,
  },
];

describe('onboarding state machine', () => {
  for (const row of ROWS) {
    it(row.name, () => {
      const { state, command } = onboardingStep(row.from, row.event);
      expect(state).toMatchObject(row.to);
      expect(command).toEqual(row.command);
    });
  }

  it('leaves the state it was given untouched', () => {
    const before = structuredClone(withErrors);
    onboardingStep(withErrors, { type: 'continue' });
    expect(withErrors).toEqual(before);
  });
});

describe('onboarding runs', () => {
  /** Feeds each command's outcome back, as the page does, and records the commands. */
  function run(
    from: OnboardingFlow,
    start: OnboardingEvent,
    answer: (command: OnboardingCommand) => OnboardingEvent,
  ): { state: OnboardingFlow; commands: OnboardingCommand['type'][] } {
    const commands: OnboardingCommand['type'][] = [];
    let result = onboardingStep(from, start);
    while (result.command !== null) {
      commands.push(result.command.type);
      result = onboardingStep(result.state, answer(result.command));
    }
    return { state: result.state, commands };
  }

  it('a taken handle after a passphrase vault: the next Continue resets that vault first', () => {
    let vault: AppStatus['onboarding'] = 'new';
    const answer = (command: OnboardingCommand): OnboardingEvent => {
      switch (command.type) {
        case 'checkRelay':
          return { type: 'relayChecked', relayUrl: command.relayUrl };
        case 'recheckStatus':
          return { type: 'statusRechecked', status: status(vault) };
        case 'resetAttempt':
          vault = 'new';
          return { type: 'attemptReset', status: status('new') };
        case 'beginRegistration':
          return { type: 'registrationBegun', options: OPTIONS };
        case 'createPasskey':
          return { type: 'passkeyCreated', passkey: passkey({ output: null, enabled: false }) };
        case 'createVault':
          vault = 'vault-ready';
          return { type: 'vaultCreated' };
        case 'finishRegistration':
          return vault === 'vault-ready' && command.credential === credential
            ? { type: 'failed', error: new ParleyError(ErrorCode.HANDLE_TAKEN, 'taken') }
            : { type: 'registered', status: status('complete', 'alice') };
        default:
          throw new Error(`unexpected ${command.type}`);
      }
    };
    const first = run(filled, { type: 'continue' }, answer);
    expect(first.commands).toEqual(['checkRelay', 'recheckStatus', 'beginRegistration']);
    const created = run(first.state, { type: 'createPasskey' }, answer);
    expect(created.state.step).toBe('passphrase');
    const typed = ['passphrase', 'confirm'].reduce(
      (s, field) =>
        onboardingStep(s, {
          type: 'edited',
          field: field as 'passphrase',
          value: 'correct horse battery',
        }).state,
      created.state,
    );
    const refused = run(typed, { type: 'submitPassphrase' }, answer);
    expect(refused.commands).toEqual(['createVault', 'finishRegistration']);
    expect(refused.state).toMatchObject({ step: 'account', busy: false, passphrase: '' });
    const again = run(
      onboardingStep(refused.state, { type: 'edited', field: 'handle', value: 'alice2' }).state,
      { type: 'continue' },
      answer,
    );
    expect(again.commands).toEqual([
      'checkRelay',
      'recheckStatus',
      'resetAttempt',
      'beginRegistration',
    ]);
    expect(again.state).toMatchObject({ step: 'passkey', handleError: null, busy: false });
  });
});
