/**
 * Settings → Linked devices → "Link a new device": type the code the new
 * browser shows; once the linking channel is confirmed, a warning names the
 * new device, and approving takes a fresh passkey user verification before
 * the worker sends the account over (docs/extension.md, "Linked devices").
 * Path B (a pasted link string, then a check code shown here) lives in
 * LinkStringApprove.tsx; its approval is this same warning and passkey.
 */
import { createSignal, type JSX, Match, onCleanup, Show, Switch } from 'solid-js';
import { describeError } from '../lib/errors.ts';
import { focusSoon } from '../lib/focus.ts';
import { followLink } from '../lib/link-poll.ts';
import { linkLine, offersCancel } from '../lib/link-text.ts';
import type { LinkState } from '../lib/protocol.ts';
import { call } from '../lib/rpc-client.ts';
import { verifyUser } from '../lib/user-verification.ts';
import { BusyButton } from './BusyButton.tsx';
import { CancelAndContinue } from './CancelAndContinue.tsx';
import { describedBy, HintOrError, invalid } from './HintOrError.tsx';
import { Icon } from './Icon.tsx';
import { CheckCodeShown, LinkStringForm } from './LinkStringApprove.tsx';
import { Toggle } from './Toggle.tsx';

function CodeForm(props: {
  onStarted: (s: LinkState) => void;
  onCancel: () => void;
  onUseString: () => void;
}) {
  const [code, setCode] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const submit = (e: SubmitEvent) => {
    e.preventDefault();
    if (busy()) return;
    setBusy(true);
    setError(null);
    call('linkApproveStart', { code: code() }).then(props.onStarted, (err: unknown) => {
      setBusy(false);
      setError(describeError(err));
    });
  };
  return (
    <form class="link-form" onSubmit={submit} novalidate>
      <div class="field">
        <label class="field__label" for="link-code-input">
          Code shown on the new browser
        </label>
        <input
          id="link-code-input"
          class="input link-code-input"
          autocomplete="off"
          autocapitalize="characters"
          spellcheck={false}
          placeholder="ABCD-EFGH-JKLM"
          value={code()}
          aria-invalid={invalid(error())}
          aria-describedby={describedBy('link-code', error())}
          onInput={(e) => setCode(e.currentTarget.value)}
          data-autofocus
        />
        <HintOrError id="link-code" error={error()}>
          On the new browser: Set up Parley → Link to an existing account.
        </HintOrError>
      </div>
      <CancelAndContinue busy={busy()} onCancel={props.onCancel} />
      <button type="button" class="btn btn--block" onClick={() => props.onUseString()}>
        Use a link string instead
      </button>
    </form>
  );
}

function Warning(props: { state: LinkState; onDecline: () => void }) {
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  const [history, setHistory] = createSignal(true);
  const approve = async () => {
    setBusy(true);
    setError(null);
    try {
      await verifyUser();
      await call('linkDecide', { approve: true, history: history() });
    } catch (e) {
      setError(describeError(e));
      setBusy(false);
    }
  };
  return (
    <section class="link-warning" aria-labelledby="link-warning-title">
      <h3 id="link-warning-title" tabindex="-1" data-view-heading>
        <Icon name="alert" class="link-warning__icon" />
        Link “{props.state.deviceName}” to your account?
      </h3>
      <p>
        <strong>
          Only continue if you started this on a browser you own. Someone asking you to type a code
          is trying to take your account.
        </strong>
      </p>
      <p>
        “{props.state.deviceName}” will be able to read and send all your messages. You will confirm
        with your passkey.
      </p>
      <Toggle
        label="Also send my message history"
        description="Your conversations so far. Off: it gets your contacts and settings, and only new messages."
        checked={history()}
        disabled={busy()}
        onChange={setHistory}
      />
      <Show when={error()}>
        <p class="field__error" role="alert">
          {error()}
        </p>
      </Show>
      <div class="link-form__actions">
        <button type="button" class="btn" onClick={() => props.onDecline()}>
          Decline
        </button>
        <BusyButton
          busy={busy()}
          label="Approve with passkey"
          busyLabel="Waiting for your passkey…"
          icon="passkey"
          onClick={() => void approve()}
        />
      </div>
    </section>
  );
}

export function LinkApprove(props: { onClose: () => void; onLinked: () => void }): JSX.Element {
  const [state, setState] = createSignal<LinkState | null>(null);
  const [byString, setByString] = createSignal(false);
  let stop: (() => void) | undefined;
  let box: HTMLDivElement | undefined;
  const started = (s: LinkState) => {
    setState(s);
    stop = followLink((next) => {
      const before = state()?.phase;
      const hadCheckCode = state()?.checkCode !== undefined;
      setState(next);
      if (next.phase !== before || (next.checkCode !== undefined) !== hadCheckCode)
        focusSoon(() => box?.querySelector<HTMLElement>('[data-view-heading], [data-autofocus]'));
      if (next.phase === 'done' && before !== 'done') props.onLinked();
    });
  };
  onCleanup(() => stop?.());
  const close = () => {
    const phase = state()?.phase;
    if (phase !== undefined && phase !== 'done' && phase !== 'failed') void call('linkCancel');
    props.onClose();
  };
  const decline = () => {
    void call('linkDecide', { approve: false }).catch(() => undefined);
  };
  return (
    <div class="link-approve" ref={box}>
      <Switch>
        <Match when={state() === null && !byString()}>
          <CodeForm onStarted={started} onCancel={close} onUseString={() => setByString(true)} />
        </Match>
        <Match when={state() === null}>
          <LinkStringForm onStarted={started} onCancel={close} />
        </Match>
        <Match
          when={
            (state()?.phase === 'starting' || state()?.phase === 'waiting') && state()?.checkCode
          }
        >
          {(code) => <CheckCodeShown code={code()} onCancel={close} />}
        </Match>
        <Match when={state()?.phase === 'confirm' ? state() : null}>
          {(s) => <Warning state={s()} onDecline={decline} />}
        </Match>
        <Match when={state()}>
          {(s) => (
            <>
              <p class="link-status" role="status" tabindex="-1" data-view-heading>
                <Show
                  when={linkLine(s()).failed || s().phase === 'done'}
                  fallback={<span class="spinner" aria-hidden="true" />}
                >
                  <Icon name={s().phase === 'done' ? 'check' : 'alert'} class="link-status__icon" />
                </Show>
                <span>{linkLine(s()).text}</span>
              </p>
              <Show when={s().phase === 'done' || s().phase === 'failed'}>
                <button type="button" class="btn" onClick={close} data-autofocus>
                  {s().phase === 'done' ? 'Close' : 'Back'}
                </button>
              </Show>
              {/* Once approved the account is on its way: cancelling would leave it half-linked. */}
              <Show when={offersCancel(s())}>
                <button type="button" class="btn" onClick={close}>
                  Cancel
                </button>
              </Show>
            </>
          )}
        </Match>
      </Switch>
    </div>
  );
}
