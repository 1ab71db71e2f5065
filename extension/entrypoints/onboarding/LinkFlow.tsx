/**
 * Onboarding's other path: this browser joins an account another browser
 * already has (docs/extension.md, "Onboarding" → linking). The person picks
 * the relay, names this browser and chooses the vault passphrase; the worker
 * then opens a rendezvous and this page shows the typed code
 * (`LLLL-SSSS-SSSS`) with what to do on the other browser, and follows the
 * link until it is done, fails or is cancelled. From the code screen the
 * person may switch to path B, a link string and check code (LinkStringView).
 */
import { createSignal, type JSX, onCleanup, Show } from 'solid-js';
import { browser } from 'wxt/browser';
import { BusyButton } from '../../components/BusyButton.tsx';
import { Icon } from '../../components/Icon.tsx';
import { describeError } from '../../lib/errors.ts';
import { followLink } from '../../lib/link-poll.ts';
import { linkLine } from '../../lib/link-text.ts';
import { DEFAULT_RELAY_URL, type LinkState, PASSPHRASE_MIN_CHARS } from '../../lib/protocol.ts';
import { call } from '../../lib/rpc-client.ts';
import { LinkStringView, type LinkTarget, restartLink } from './LinkStringView.tsx';

function defaultDeviceName(): string {
  const platform =
    (navigator as Navigator & { userAgentData?: { platform?: string } }).userAgentData?.platform ??
    '';
  return platform === '' ? 'Chromium' : `Chromium on ${platform}`;
}

/** Prepares the vault and starts the link; the code arrives through linkStatus. */
async function startLink(
  relayUrl: string,
  deviceName: string,
  passphrase: string,
): Promise<LinkTarget> {
  const origin = new URL(relayUrl).origin;
  if (origin.startsWith('https:')) {
    const granted = await browser.permissions.request({ origins: [`${origin}/*`] });
    if (!granted) throw new Error('permission');
  }
  const checked = await call('checkRelay', { relayUrl });
  let status = await call('getStatus');
  // A vault left by an earlier attempt (no account yet): start clean.
  if (status.onboarding === 'vault-ready') status = await call('resetOnboarding');
  if (status.vault === 'none') await call('createVault', { method: 'passphrase', passphrase });
  await call('linkStart', { relayUrl: checked.relayUrl, deviceName });
  return { relayUrl: checked.relayUrl, deviceName };
}

function LinkSetup(props: {
  onStarted: (target: LinkTarget) => void;
  onBack: () => void;
}): JSX.Element {
  const [relayUrl, setRelayUrl] = createSignal(DEFAULT_RELAY_URL);
  const [name, setName] = createSignal(defaultDeviceName());
  const [passphrase, setPassphrase] = createSignal('');
  const [confirm, setConfirm] = createSignal('');
  const [problem, setProblem] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);

  const localProblem = (): string | null => {
    if (name().trim() === '') return 'Give this browser a name.';
    if (passphrase().length < PASSPHRASE_MIN_CHARS)
      return `Use at least ${PASSPHRASE_MIN_CHARS} characters for the passphrase.`;
    if (confirm() !== passphrase()) return 'The two passphrases do not match.';
    if (!URL.canParse(relayUrl().trim()))
      return 'Enter the relay’s address, such as https://relay.example.';
    return null;
  };

  const submit = (e: SubmitEvent) => {
    e.preventDefault();
    if (busy()) return;
    setProblem(localProblem());
    if (problem() !== null) return;
    setBusy(true);
    startLink(relayUrl().trim(), name().trim(), passphrase()).then(
      (target) => {
        setPassphrase('');
        setConfirm('');
        props.onStarted(target);
      },
      (error: unknown) => {
        setBusy(false);
        setProblem(
          error instanceof Error && error.message === 'permission'
            ? 'Parley needs your permission to talk to this relay.'
            : describeError(error),
        );
      },
    );
  };

  return (
    <form class="onb__form" onSubmit={submit} novalidate>
      <div>
        <h2 tabindex="-1" data-view-heading>
          Link to an existing account
        </h2>
        <p class="onb__lead">
          Use the account you already have in another browser. That browser approves this one with a
          code; your account, contacts and keys then come here, end-to-end encrypted.
        </p>
      </div>
      <div class="field">
        <label class="field__label" for="link-relay">
          Relay
        </label>
        <input
          id="link-relay"
          class="input"
          type="url"
          inputmode="url"
          spellcheck={false}
          value={relayUrl()}
          aria-describedby="link-relay-hint"
          onInput={(e) => setRelayUrl(e.currentTarget.value)}
        />
        <span class="field__hint" id="link-relay-hint">
          The same relay your other browser uses (Settings shows it).
        </span>
      </div>
      <div class="field">
        <label class="field__label" for="link-name">
          Name for this browser
        </label>
        <input
          id="link-name"
          class="input"
          maxlength="64"
          value={name()}
          aria-describedby="link-name-hint"
          onInput={(e) => setName(e.currentTarget.value)}
          data-autofocus
        />
        <span class="field__hint" id="link-name-hint">
          Your other browser shows this name before it approves.
        </span>
      </div>
      <div class="field">
        <label class="field__label" for="link-passphrase">
          Vault passphrase for this browser
        </label>
        <input
          id="link-passphrase"
          class="input"
          type="password"
          autocomplete="new-password"
          value={passphrase()}
          aria-describedby="link-passphrase-hint"
          onInput={(e) => setPassphrase(e.currentTarget.value)}
        />
        <span class="field__hint" id="link-passphrase-hint">
          At least {PASSPHRASE_MIN_CHARS} characters. It locks Parley on this browser only and never
          leaves it.
        </span>
      </div>
      <div class="field">
        <label class="field__label" for="link-confirm">
          Repeat it
        </label>
        <input
          id="link-confirm"
          class="input"
          type="password"
          autocomplete="new-password"
          value={confirm()}
          onInput={(e) => setConfirm(e.currentTarget.value)}
        />
      </div>
      <Show when={problem()}>
        <p class="field__error" role="alert">
          {problem()}
        </p>
      </Show>
      <BusyButton type="submit" busy={busy()} label="Get a link code" busyLabel="Preparing…" />
      <button type="button" class="btn btn--block" onClick={() => props.onBack()}>
        Create a new account instead
      </button>
    </form>
  );
}

function LinkCode(props: {
  onDone: () => void;
  onCancel: () => void;
  onUseString: () => void;
}): JSX.Element {
  const [state, setState] = createSignal<LinkState>({ role: 'new', phase: 'starting', strikes: 0 });
  const [copied, setCopied] = createSignal(false);
  const stop = followLink((s) => {
    setState(s);
    // Linked without its history: the note stays until the person read it (Continue).
    if (s.phase === 'done' && s.historyMissing === undefined) props.onDone();
  });
  onCleanup(stop);
  const line = () => linkLine(state());
  /** Until approved (or failed), the code is what this screen is about. */
  const showsCode = () => state().phase === 'starting' || state().phase === 'waiting';
  const copy = () => {
    const code = state().code;
    if (code === undefined) return;
    void navigator.clipboard.writeText(code).then(() => setCopied(true));
  };
  const cancel = () => {
    void call('linkCancel').finally(() => props.onCancel());
  };
  const newCode = () => {
    props.onCancel();
  };
  return (
    <div class="onb__form">
      <div>
        <h2 tabindex="-1" data-view-heading>
          {showsCode() ? 'Type this code on your other browser' : 'Linking this browser'}
        </h2>
        <Show when={showsCode()}>
          <p class="onb__lead">
            On your other browser: <strong>Settings → Linked devices → Link a new device</strong>,
            then type the code below.
          </p>
        </Show>
      </div>
      {/* Once approved the code is used up: only the status line stays. */}
      <Show when={showsCode()}>
        <Show
          when={state().code}
          fallback={<p class="link-code link-code--pending">Getting a code…</p>}
        >
          {(code) => (
            <div class="link-code-box">
              <p class="link-code">
                <span aria-hidden="true">{code()}</span>
                {/* Read out character by character, not as words. */}
                <span class="sr-only">Link code: {code().split('').join(' ')}</span>
              </p>
              <button type="button" class="btn" onClick={copy}>
                <Icon name={copied() ? 'check' : 'file'} />
                {copied() ? 'Copied' : 'Copy code'}
              </button>
            </div>
          )}
        </Show>
      </Show>
      <p class="link-status" role="status" data-phase={state().phase}>
        <Show
          when={line().failed || state().phase === 'done'}
          fallback={<span class="spinner" aria-hidden="true" />}
        >
          <Icon name={line().failed ? 'alert' : 'check'} class="link-status__icon" />
        </Show>
        <span>{line().text}</span>
      </p>
      <Show when={state().phase === 'waiting'}>
        <p class="field__hint">
          The code works for 5 minutes. Never type it anywhere else, and never read it to anyone:
          whoever types it can read all your messages.
        </p>
      </Show>
      <Show
        when={line().failed}
        fallback={
          <>
            <Show when={showsCode()}>
              <button type="button" class="btn btn--block" onClick={() => props.onUseString()}>
                Use a link string instead
              </button>
            </Show>
            <Show
              when={state().phase === 'done'}
              fallback={
                <button type="button" class="btn btn--block" onClick={cancel}>
                  Cancel
                </button>
              }
            >
              <button
                type="button"
                class="btn btn--primary btn--large btn--block"
                onClick={() => props.onDone()}
              >
                Continue
              </button>
            </Show>
          </>
        }
      >
        <button type="button" class="btn btn--primary btn--large btn--block" onClick={newCode}>
          Get a new code
        </button>
      </Show>
    </div>
  );
}

export function LinkFlow(props: { onDone: () => void; onBack: () => void }): JSX.Element {
  const [target, setTarget] = createSignal<LinkTarget | null>(null);
  const [byString, setByString] = createSignal(false);
  const reset = () => {
    setByString(false);
    setTarget(null);
  };
  return (
    <Show when={target()} fallback={<LinkSetup onStarted={setTarget} onBack={props.onBack} />}>
      {(t) => (
        <Show
          when={byString()}
          fallback={
            <LinkCode
              onDone={props.onDone}
              onCancel={reset}
              onUseString={() => setByString(true)}
            />
          }
        >
          <LinkStringView
            target={t()}
            onDone={props.onDone}
            onCancel={reset}
            onUseCode={() => void restartLink(t(), 'code').then(() => setByString(false), reset)}
          />
        </Show>
      )}
    </Show>
  );
}
