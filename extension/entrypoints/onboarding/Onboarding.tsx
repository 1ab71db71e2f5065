/**
 * Onboarding, in a tab of its own: relay and handle → passkey (created here:
 * WebAuthn only runs in documents) → vault → account registered.
 *
 * The vault is opened by the passkey's PRF output when the authenticator
 * supports PRF; otherwise the person chooses a passphrase for this browser.
 */
import { createSignal, For, type JSX, Match, onMount, Show, Switch } from 'solid-js';
import { browser } from 'wxt/browser';
import { ErrorCode, isParleyError } from '../../../shared/errors.ts';
import logoUrl from '../../assets/icon.svg';
import { BusyButton } from '../../components/BusyButton.tsx';
import { Icon } from '../../components/Icon.tsx';
import { describeError, ExtErrorCode, errorCode, extError } from '../../lib/errors.ts';
import { canonicalHandle, HANDLE_RULE, handleProblem } from '../../lib/handles.ts';
import {
  type AppStatus,
  type CreationOptionsJson,
  DEFAULT_RELAY_URL,
  PASSPHRASE_MIN_CHARS,
} from '../../lib/protocol.ts';
import { call } from '../../lib/rpc-client.ts';
import { type CreatedPasskey, createPasskey, evaluatePrf } from '../../lib/webauthn.ts';

type Step = 'account' | 'passkey' | 'passphrase' | 'done';

const STEPS: readonly { id: Step; label: string }[] = [
  { id: 'account', label: 'Account' },
  { id: 'passkey', label: 'Passkey' },
  { id: 'done', label: 'Ready' },
];

function stepIndex(step: Step): number {
  return step === 'passphrase' ? 1 : STEPS.findIndex((s) => s.id === step);
}

function relayHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

export function Onboarding(): JSX.Element {
  const [status, setStatus] = createSignal<AppStatus | null>(null);
  const [step, setStep] = createSignal<Step>('account');
  const [relayUrl, setRelayUrl] = createSignal(DEFAULT_RELAY_URL);
  const [handle, setHandle] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [relayError, setRelayError] = createSignal<string | null>(null);
  const [handleError, setHandleError] = createSignal<string | null>(null);
  const [error, setError] = createSignal<string | null>(null);
  const [passphrase, setPassphrase] = createSignal('');
  const [confirm, setConfirm] = createSignal('');
  let creationOptions: CreationOptionsJson | null = null;
  let passkey: CreatedPasskey | null = null;

  onMount(() => {
    call('getStatus')
      .then((s) => {
        setStatus(s);
        if (s.onboarding === 'complete') setStep('done');
        if (s.account !== null) {
          setRelayUrl(s.account.relayUrl);
          setHandle(s.account.handle);
        }
      })
      .catch((e: unknown) => setError(describeError(e)));
  });

  const fail = (e: unknown) => {
    const code = errorCode(e);
    if (code === ErrorCode.RELAY_UNREACHABLE) {
      setRelayError(
        `Relay unreachable at ${relayHost(relayUrl())}. Is it running? (npm start starts one locally.)`,
      );
    } else if (code === ExtErrorCode.RELAY_PERMISSION_DENIED) {
      setRelayError(
        'Parley needs your permission to talk to this relay. Continue again and allow it.',
      );
    } else if (code === ErrorCode.HANDLE_TAKEN) {
      // The relay says so only when the passkey is verified (it offers options for any handle,
      // so as not to tell strangers which handles exist): back to the handle field.
      setStep('account');
      setHandleError(
        `@${canonicalHandle(handle()) ?? handle()} is already taken. Try another handle.`,
      );
    } else if (code === ErrorCode.HANDLE_INVALID) {
      setHandleError(handleProblem(handle()));
    } else if (isParleyError(e, ErrorCode.BODY_INVALID) && e.details?.path === 'relayUrl') {
      setRelayError(describeError(e));
    } else {
      setError(describeError(e));
    }
  };

  const clearErrors = () => {
    setRelayError(null);
    setHandleError(null);
    setError(null);
  };

  const submitAccount = async (e: SubmitEvent) => {
    e.preventDefault();
    clearErrors();
    const h = canonicalHandle(handle());
    if (h === null) {
      setHandleError(handleProblem(handle()));
      return;
    }
    let origin: string;
    try {
      origin = new URL(relayUrl().trim()).origin;
    } catch {
      setRelayError('Enter the relay’s address, such as https://relay.example.');
      return;
    }
    setBusy(true);
    try {
      // Asked inside the click (Chrome requires a user gesture); only https
      // relays need it, the local default is covered by the manifest.
      if (origin.startsWith('https:')) {
        const granted = await browser.permissions.request({ origins: [`${origin}/*`] });
        if (!granted)
          throw extError(
            ExtErrorCode.RELAY_PERMISSION_DENIED,
            'Permission to reach the relay was not given',
          );
      }
      const check = await call('checkRelay', { relayUrl: relayUrl() });
      // Asked afresh: a vault made before the relay refused the handle (HANDLE_TAKEN comes only
      // at registration) belongs to that attempt and is dropped before the next one.
      if ((await call('getStatus')).onboarding === 'vault-ready')
        setStatus(await call('resetOnboarding'));
      const start = await call('beginRegistration', { relayUrl: check.relayUrl, handle: h });
      creationOptions = start.publicKey;
      setStep('passkey');
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  };

  const finish = async (created: CreatedPasskey) => {
    setStatus(await call('finishRegistration', { credential: created.credential }));
    setStep('done');
  };

  const makePasskey = async () => {
    clearErrors();
    if (creationOptions === null) {
      setStep('account');
      return;
    }
    setBusy(true);
    try {
      const rpId = browser.runtime.id;
      const created = await createPasskey(creationOptions, rpId);
      passkey = created;
      let prfOutput = created.prfOutput;
      if (prfOutput === null && created.prfEnabled) {
        // Some authenticators only evaluate PRF on get(): one more touch.
        prfOutput = (
          await evaluatePrf({ rpId, credentialIds: [created.credentialId], salt: created.prfSalt })
        ).prfOutput;
      }
      if (prfOutput === null) {
        setStep('passphrase');
        return;
      }
      await call('createVault', {
        method: 'prf',
        credentialId: created.credentialId,
        prfSalt: created.prfSalt,
        prfOutput,
      });
      await finish(created);
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  };

  const passphraseProblem = (): string | null => {
    if (passphrase().length < PASSPHRASE_MIN_CHARS)
      return `Use at least ${PASSPHRASE_MIN_CHARS} characters.`;
    if (confirm() !== passphrase()) return 'The two passphrases do not match.';
    return null;
  };

  const submitPassphrase = async (e: SubmitEvent) => {
    e.preventDefault();
    clearErrors();
    const problem = passphraseProblem();
    if (problem !== null || passkey === null) {
      setError(problem ?? 'Create the passkey first.');
      return;
    }
    setBusy(true);
    try {
      await call('createVault', { method: 'passphrase', passphrase: passphrase() });
      setPassphrase('');
      setConfirm('');
      await finish(passkey);
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  };

  const openParley = () => {
    void browser.windows.getCurrent().then((w) => {
      if (w.id !== undefined) void browser.sidePanel.open({ windowId: w.id });
    });
  };

  return (
    <div class="onb">
      <main class="onb__card" aria-labelledby="onb-title">
        <header class="onb__head">
          <img src={logoUrl} alt="" width="44" height="44" />
          <div>
            <h1 id="onb-title">Set up Parley</h1>
            <p>End-to-end encrypted chat in your toolbar.</p>
          </div>
        </header>

        <ol class="steps" aria-label="Progress">
          <For each={STEPS}>
            {(s, i) => (
              <li
                class="steps__item"
                data-state={
                  i() < stepIndex(step()) ? 'done' : i() === stepIndex(step()) ? 'current' : 'todo'
                }
                aria-current={i() === stepIndex(step()) ? 'step' : undefined}
              >
                <span class="steps__dot" aria-hidden="true">
                  {i() < stepIndex(step()) ? '✓' : i() + 1}
                </span>
                {s.label}
              </li>
            )}
          </For>
        </ol>

        <Switch>
          <Match when={step() === 'account'}>
            <form class="onb__form" onSubmit={submitAccount} novalidate>
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
                  value={relayUrl()}
                  aria-invalid={relayError() === null ? undefined : 'true'}
                  aria-describedby="relay-hint relay-error"
                  onInput={(e) => setRelayUrl(e.currentTarget.value)}
                />
                <Show
                  when={relayError()}
                  fallback={
                    <span class="field__hint" id="relay-hint">
                      The server that passes your encrypted messages along. It never sees what you
                      write.
                    </span>
                  }
                >
                  <span class="field__error" id="relay-error" role="alert">
                    {relayError()}
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
                    value={handle()}
                    aria-invalid={handleError() === null ? undefined : 'true'}
                    aria-describedby="handle-hint handle-error"
                    onInput={(e) => setHandle(e.currentTarget.value)}
                    autofocus
                  />
                </div>
                <Show
                  when={handleError()}
                  fallback={
                    <span class="field__hint" id="handle-hint">
                      How people find you: {HANDLE_RULE}.
                    </span>
                  }
                >
                  <span class="field__error" id="handle-error" role="alert">
                    {handleError()}
                  </span>
                </Show>
              </div>
              <BusyButton
                type="submit"
                busy={busy()}
                label="Continue"
                busyLabel="Checking the relay…"
              />
            </form>
          </Match>

          <Match when={step() === 'passkey'}>
            <div class="onb__form">
              <div class="onb__explain">
                <div class="onb__badge">
                  <Icon name="passkey" />
                </div>
                <div>
                  <h2>Create your passkey</h2>
                  <p>
                    Your passkey signs you in as{' '}
                    <strong>@{canonicalHandle(handle()) ?? handle()}</strong> and unlocks the vault
                    that keeps your messages on this browser. No password to remember or leak.
                  </p>
                </div>
              </div>
              <BusyButton
                busy={busy()}
                icon="passkey"
                label="Create passkey"
                busyLabel="Waiting for your passkey…"
                onClick={() => void makePasskey()}
                autofocus
              />
              <button
                type="button"
                class="link-btn"
                onClick={() => setStep('account')}
                disabled={busy()}
              >
                Change relay or handle
              </button>
            </div>
          </Match>

          <Match when={step() === 'passphrase'}>
            <form class="onb__form" onSubmit={submitPassphrase}>
              <div class="onb__explain">
                <div class="onb__badge">
                  <Icon name="key" />
                </div>
                <div>
                  <h2>Choose a vault passphrase</h2>
                  <p>
                    Your authenticator cannot unlock Parley’s vault by itself, so this browser needs
                    a passphrase. It never leaves this device and cannot be recovered.
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
                  value={passphrase()}
                  onInput={(e) => setPassphrase(e.currentTarget.value)}
                  autofocus
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
                  value={confirm()}
                  onInput={(e) => setConfirm(e.currentTarget.value)}
                />
              </div>
              <BusyButton
                type="submit"
                busy={busy()}
                label="Create vault"
                busyLabel="Sealing the vault…"
              />
            </form>
          </Match>

          <Match when={step() === 'done'}>
            <div class="onb__form onb__done">
              <div class="onb__badge onb__badge--ok">
                <Icon name="check" />
              </div>
              <h2>You’re all set{status()?.account ? `, @${status()?.account?.handle}` : ''}</h2>
              <p>
                Pin Parley to your toolbar: open the puzzle-piece menu next to the address bar and
                click the pin beside Parley. Chat from there, or open the side panel for the full
                view.
              </p>
              <button
                type="button"
                class="btn btn--primary btn--large btn--block"
                onClick={openParley}
              >
                <Icon name="panel" />
                Open Parley in the side panel
              </button>
            </div>
          </Match>
        </Switch>

        <Show when={error()}>
          <p class="onb__error" role="alert">
            <Icon name="alert" />
            <span>{error()}</span>
          </p>
        </Show>
      </main>
      <p class="onb__foot">
        <Icon name="lock" /> Keys are created in this browser and never leave it. The relay only
        stores ciphertext.
      </p>
    </div>
  );
}
