/**
 * Onboarding as a state machine (docs/extension.md, "Onboarding"): what the
 * page shows (step, fields, errors, busy) and what it must do next, as a pure
 * function of the current state and one event. The page renders the state,
 * runs the command (a worker request, the permission prompt, a WebAuthn
 * ceremony) and feeds its outcome back as the next event.
 *
 * A chain of commands runs while `busy`: outcome events are only taken then,
 * and a new chain does not start before the last one ended.
 *
 * Runs in: pages (pure: no Solid, no browser APIs).
 */
import { describeError, ExtErrorCode, extError } from './errors.ts';
import { canonicalHandle, handleProblem } from './handles.ts';
import { onboardingFailure } from './onboarding-failure.ts';
import {
  type AppStatus,
  type CreationOptionsJson,
  DEFAULT_RELAY_URL,
  PASSPHRASE_MIN_CHARS,
  type RegistrationCredentialJson,
  type VaultCreateSecret,
} from './protocol.ts';
import type { CreatedPasskey } from './webauthn.ts';

/** `passphrase` is shown only when the passkey cannot open the vault by itself (no PRF). */
export type OnboardingStep = 'account' | 'passkey' | 'passphrase' | 'done';

export type OnboardingField = 'relayUrl' | 'handle' | 'passphrase' | 'confirm';

export interface OnboardingFlow {
  readonly step: OnboardingStep;
  /** The worker's answer, once known (the done step greets the account by handle). */
  readonly status: AppStatus | null;
  readonly relayUrl: string;
  readonly handle: string;
  readonly passphrase: string;
  readonly confirm: string;
  /** A chain of commands is running; the step's buttons wait. */
  readonly busy: boolean;
  readonly relayError: string | null;
  readonly handleError: string | null;
  /** Shown under the card: anything that belongs to neither field. */
  readonly error: string | null;
  /** The account being registered: the relay as the worker checked it, the canonical handle. */
  readonly attempt: { readonly relayUrl: string; readonly handle: string } | null;
  readonly creationOptions: CreationOptionsJson | null;
  readonly passkey: CreatedPasskey | null;
}

/** What the page must do next; its outcome comes back as an event. */
export type OnboardingCommand =
  | { readonly type: 'loadStatus' }
  /** Must run inside the click: Chrome asks for host permissions only on a user gesture. */
  | { readonly type: 'requestPermission'; readonly origin: string }
  | { readonly type: 'checkRelay'; readonly relayUrl: string }
  | { readonly type: 'recheckStatus' }
  | { readonly type: 'resetAttempt' }
  | { readonly type: 'beginRegistration'; readonly relayUrl: string; readonly handle: string }
  | { readonly type: 'createPasskey'; readonly options: CreationOptionsJson }
  | { readonly type: 'evaluatePrf'; readonly credentialId: string; readonly salt: string }
  | { readonly type: 'createVault'; readonly secret: VaultCreateSecret }
  | { readonly type: 'finishRegistration'; readonly credential: RegistrationCredentialJson };

/** What the person did (first group) or how a command ended (second group). */
export type OnboardingEvent =
  | { readonly type: 'opened' }
  | { readonly type: 'edited'; readonly field: OnboardingField; readonly value: string }
  | { readonly type: 'continue' }
  | { readonly type: 'createPasskey' }
  | { readonly type: 'submitPassphrase' }
  | { readonly type: 'changeAccount' }
  | { readonly type: 'statusLoaded'; readonly status: AppStatus }
  | { readonly type: 'statusFailed'; readonly error: unknown }
  | { readonly type: 'permissionAnswered'; readonly granted: boolean }
  | { readonly type: 'relayChecked'; readonly relayUrl: string }
  | { readonly type: 'statusRechecked'; readonly status: AppStatus }
  | { readonly type: 'attemptReset'; readonly status: AppStatus }
  | { readonly type: 'registrationBegun'; readonly options: CreationOptionsJson }
  | { readonly type: 'passkeyCreated'; readonly passkey: CreatedPasskey }
  | { readonly type: 'prfEvaluated'; readonly prfOutput: string }
  | { readonly type: 'vaultCreated' }
  | { readonly type: 'registered'; readonly status: AppStatus }
  | { readonly type: 'failed'; readonly error: unknown };

/** How the page hands the machine an event. */
export type OnboardingDispatch = (event: OnboardingEvent) => void;

export interface OnboardingStepResult {
  readonly state: OnboardingFlow;
  readonly command: OnboardingCommand | null;
}

type EventOf<T extends OnboardingEvent['type']> = Extract<OnboardingEvent, { type: T }>;

/** Events that end a command: taken only while a chain runs. */
const OUTCOMES: ReadonlySet<OnboardingEvent['type']> = new Set([
  'permissionAnswered',
  'relayChecked',
  'statusRechecked',
  'attemptReset',
  'registrationBegun',
  'passkeyCreated',
  'prfEvaluated',
  'vaultCreated',
  'registered',
  'failed',
]);

/** Events that start a chain (or move between steps): not while one runs. */
const STARTS: ReadonlySet<OnboardingEvent['type']> = new Set([
  'continue',
  'createPasskey',
  'submitPassphrase',
  'changeAccount',
]);

export const INITIAL_ONBOARDING: OnboardingFlow = {
  step: 'account',
  status: null,
  relayUrl: DEFAULT_RELAY_URL,
  handle: '',
  passphrase: '',
  confirm: '',
  busy: false,
  relayError: null,
  handleError: null,
  error: null,
  attempt: null,
  creationOptions: null,
  passkey: null,
};

function stay(state: OnboardingFlow): OnboardingStepResult {
  return { state, command: null };
}

function next(state: OnboardingFlow, command: OnboardingCommand): OnboardingStepResult {
  return { state, command };
}

function withoutErrors(state: OnboardingFlow): OnboardingFlow {
  return { ...state, relayError: null, handleError: null, error: null };
}

function passphraseProblem(state: OnboardingFlow): string | null {
  if (state.passphrase.length < PASSPHRASE_MIN_CHARS)
    return `Use at least ${PASSPHRASE_MIN_CHARS} characters.`;
  if (state.confirm !== state.passphrase) return 'The two passphrases do not match.';
  return null;
}

function statusLoaded(state: OnboardingFlow, { status }: EventOf<'statusLoaded'>) {
  const account = status.account;
  return stay({
    ...state,
    status,
    step: status.onboarding === 'complete' ? 'done' : state.step,
    ...(account === null ? {} : { relayUrl: account.relayUrl, handle: account.handle }),
  });
}

/** Continue on the account step: both fields checked here before the relay is asked anything. */
function submitAccount(state: OnboardingFlow): OnboardingStepResult {
  const cleared = withoutErrors(state);
  const handle = canonicalHandle(state.handle);
  if (handle === null) return stay({ ...cleared, handleError: handleProblem(state.handle) });
  let origin: string;
  try {
    origin = new URL(state.relayUrl.trim()).origin;
  } catch {
    return stay({
      ...cleared,
      relayError: 'Enter the relay’s address, such as https://relay.example.',
    });
  }
  const started = { ...cleared, busy: true, attempt: { relayUrl: state.relayUrl, handle } };
  // Only https relays need the permission; the local default is in the manifest.
  return origin.startsWith('https:')
    ? next(started, { type: 'requestPermission', origin })
    : checkRelay(started);
}

function checkRelay(state: OnboardingFlow): OnboardingStepResult {
  if (state.attempt === null) return stay({ ...state, busy: false });
  return next(state, { type: 'checkRelay', relayUrl: state.attempt.relayUrl });
}

function beginRegistration(state: OnboardingFlow): OnboardingStepResult {
  if (state.attempt === null) return stay({ ...state, busy: false });
  return next(state, { type: 'beginRegistration', ...state.attempt });
}

function createPasskey(state: OnboardingFlow): OnboardingStepResult {
  const cleared = withoutErrors(state);
  if (state.creationOptions === null) return stay({ ...cleared, step: 'account' });
  return next(
    { ...cleared, busy: true },
    { type: 'createPasskey', options: state.creationOptions },
  );
}

function prfVault(passkey: CreatedPasskey, prfOutput: string): OnboardingCommand {
  return {
    type: 'createVault',
    secret: {
      method: 'prf',
      credentialId: passkey.credentialId,
      prfSalt: passkey.prfSalt,
      prfOutput,
    },
  };
}

function passkeyCreated(state: OnboardingFlow, { passkey }: EventOf<'passkeyCreated'>) {
  const withPasskey = { ...state, passkey };
  if (passkey.prfOutput !== null) return next(withPasskey, prfVault(passkey, passkey.prfOutput));
  // Some authenticators only evaluate PRF on get(): one more touch.
  if (passkey.prfEnabled) {
    return next(withPasskey, {
      type: 'evaluatePrf',
      credentialId: passkey.credentialId,
      salt: passkey.prfSalt,
    });
  }
  return stay({ ...withPasskey, step: 'passphrase', busy: false });
}

function submitPassphrase(state: OnboardingFlow): OnboardingStepResult {
  const cleared = withoutErrors(state);
  const problem = passphraseProblem(state);
  if (problem !== null || state.passkey === null)
    return stay({ ...cleared, error: problem ?? 'Create the passkey first.' });
  return next(
    { ...cleared, busy: true },
    { type: 'createVault', secret: { method: 'passphrase', passphrase: state.passphrase } },
  );
}

function vaultCreated(state: OnboardingFlow): OnboardingStepResult {
  if (state.passkey === null) return stay({ ...state, busy: false });
  // The passphrase has done its job: it is not kept in the page any longer.
  const cleared = state.step === 'passphrase' ? { ...state, passphrase: '', confirm: '' } : state;
  return next(cleared, { type: 'finishRegistration', credential: state.passkey.credential });
}

function failed(state: OnboardingFlow, { error }: EventOf<'failed'>): OnboardingStepResult {
  const failure = onboardingFailure(error, state.relayUrl, state.handle);
  const ended = { ...state, busy: false };
  switch (failure.field) {
    case 'relay':
      return stay({ ...ended, relayError: failure.text });
    case 'handle':
      // The relay says a handle is taken only at registration, once the passkey is verified
      // (it offers options for any handle, so as not to tell strangers which handles exist):
      // back to the handle field.
      return stay({
        ...ended,
        handleError: failure.text,
        ...(failure.taken ? { step: 'account' as const } : {}),
      });
    case 'page':
      return stay({ ...ended, error: failure.text });
  }
}

/** The next state and command after `event`; unexpected events leave the state as it is. */
export function onboardingStep(
  state: OnboardingFlow,
  event: OnboardingEvent,
): OnboardingStepResult {
  if (OUTCOMES.has(event.type) && !state.busy) return stay(state);
  if (STARTS.has(event.type) && state.busy) return stay(state);
  switch (event.type) {
    case 'opened':
      return next(state, { type: 'loadStatus' });
    case 'edited':
      return stay({ ...state, [event.field]: event.value });
    case 'statusLoaded':
      return statusLoaded(state, event);
    case 'statusFailed':
      return stay({ ...state, error: describeError(event.error) });
    case 'continue':
      return submitAccount(state);
    case 'permissionAnswered':
      if (event.granted) return checkRelay(state);
      return failed(state, {
        type: 'failed',
        error: extError(
          ExtErrorCode.RELAY_PERMISSION_DENIED,
          'Permission to reach the relay was not given',
        ),
      });
    case 'relayChecked':
      return next(
        {
          ...state,
          attempt: state.attempt === null ? null : { ...state.attempt, relayUrl: event.relayUrl },
        },
        { type: 'recheckStatus' },
      );
    case 'statusRechecked':
      // Asked afresh before every attempt: a vault made before the relay refused the handle
      // (HANDLE_TAKEN comes only at registration) belongs to that attempt and is dropped first.
      if (event.status.onboarding === 'vault-ready') return next(state, { type: 'resetAttempt' });
      return beginRegistration(state);
    case 'attemptReset':
      return beginRegistration({ ...state, status: event.status });
    case 'registrationBegun':
      return stay({ ...state, creationOptions: event.options, step: 'passkey', busy: false });
    case 'createPasskey':
      return createPasskey(state);
    case 'passkeyCreated':
      return passkeyCreated(state, event);
    case 'prfEvaluated':
      if (state.passkey === null) return stay({ ...state, busy: false });
      return next(state, prfVault(state.passkey, event.prfOutput));
    case 'submitPassphrase':
      return submitPassphrase(state);
    case 'vaultCreated':
      return vaultCreated(state);
    case 'registered':
      return stay({ ...state, status: event.status, step: 'done', busy: false });
    case 'changeAccount':
      return stay({ ...state, step: 'account' });
    case 'failed':
      return failed(state, event);
  }
}
