/**
 * Onboarding's link path B (docs/extension.md, "Onboarding" → linking; the
 * protocol in docs/protocol.md, "Linking a device"): for when typing the code
 * on the other browser is not practical. This browser shows a link string
 * (and its QR code) to paste into the other browser; that browser then shows
 * a 6-digit check code, which the person types here. Only a matching check
 * code lets the other browser ask for approval; three wrong ones end the link
 * with nothing sent.
 */
import { createEffect, createSignal, type JSX, on, onCleanup, onMount, Show } from 'solid-js';
import { BusyButton } from '../../components/BusyButton.tsx';
import { Icon } from '../../components/Icon.tsx';
import { QrCode } from '../../components/QrCode.tsx';
import { describeError } from '../../lib/errors.ts';
import { focusView } from '../../lib/focus.ts';
import { followLink } from '../../lib/link-poll.ts';
import { linkLine, offersCancel } from '../../lib/link-text.ts';
import type { LinkState } from '../../lib/protocol.ts';
import { call } from '../../lib/rpc-client.ts';

/** Where the link goes: what the setup form chose (the vault is ready by then). */
export interface LinkTarget {
  readonly relayUrl: string;
  readonly deviceName: string;
}

/** Ends the running link (if any) and opens a new one on `path`. */
export async function restartLink(target: LinkTarget, path: 'code' | 'string'): Promise<void> {
  await call('linkCancel');
  await call('linkStart', { ...target, path });
}

const CHECK_DIGITS = /^\d{6}$/;

function CheckCodeForm(props: { misses: number }): JSX.Element {
  const [value, setValue] = createSignal('');
  const [problem, setProblem] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  // A new miss: the code typed was wrong; say so and let the person type again.
  // (The state is re-read every second: act only when the count changed.)
  createEffect(
    on(
      () => props.misses,
      (misses, before) => {
        if (misses === before) return;
        setBusy(false);
        setValue('');
        setProblem(misses === 0 ? null : linkLine(missed(misses)).text);
      },
    ),
  );
  const submit = (e: SubmitEvent) => {
    e.preventDefault();
    if (busy()) return;
    const code = value().replace(/\s/g, '');
    if (!CHECK_DIGITS.test(code)) {
      setProblem('Type the 6 digits your other browser shows.');
      return;
    }
    setBusy(true);
    setProblem(null);
    call('linkCheckCode', { code }).then(
      () => setBusy(false),
      (error: unknown) => {
        setBusy(false);
        setProblem(describeError(error));
      },
    );
  };
  return (
    <form class="link-form" onSubmit={submit} novalidate>
      <div class="field">
        <label class="field__label" for="link-check-input">
          Check code shown on your other browser
        </label>
        <input
          id="link-check-input"
          class="input link-code-input"
          inputmode="numeric"
          autocomplete="one-time-code"
          maxlength="7"
          spellcheck={false}
          placeholder="123456"
          value={value()}
          aria-invalid={problem() === null ? undefined : 'true'}
          aria-describedby={problem() === null ? 'link-check-hint' : 'link-check-error'}
          onInput={(e) => setValue(e.currentTarget.value)}
        />
        <Show
          when={problem()}
          fallback={
            <span class="field__hint" id="link-check-hint">
              If it differs from what your other browser shows, stop: someone else answered.
            </span>
          }
        >
          <span class="field__error" id="link-check-error" role="alert">
            {problem()}
          </span>
        </Show>
      </div>
      <BusyButton type="submit" busy={busy()} label="Check code" busyLabel="Checking…" />
    </form>
  );
}

const missed = (misses: number): LinkState => ({
  role: 'new',
  phase: 'check',
  strikes: 0,
  checkMisses: misses,
});

function LinkStringBox(props: { linkString: string }): JSX.Element {
  const [copied, setCopied] = createSignal(false);
  const copy = () => {
    void navigator.clipboard.writeText(props.linkString).then(() => setCopied(true));
  };
  return (
    <div class="link-string-box">
      <QrCode text={props.linkString} label="QR code of the link string" />
      <label class="field__label" for="link-string-output">
        Link string
      </label>
      <textarea
        id="link-string-output"
        class="input link-string"
        readonly
        rows="4"
        spellcheck={false}
        value={props.linkString}
        onFocus={(e) => e.currentTarget.select()}
      />
      <button type="button" class="btn" onClick={copy}>
        <Icon name={copied() ? 'check' : 'file'} />
        {copied() ? 'Copied' : 'Copy link string'}
      </button>
    </div>
  );
}

type View = 'string' | 'check' | 'status';

function viewOf(state: LinkState): View {
  if (state.phase === 'check') return 'check';
  if (state.phase === 'starting' || state.phase === 'waiting') return 'string';
  return 'status';
}

const HEADINGS: Record<View, string> = {
  string: 'Paste this link string into your other browser',
  check: 'Type the check code',
  status: 'Linking this browser',
};

export function LinkStringView(props: {
  target: LinkTarget;
  onDone: () => void;
  onCancel: () => void;
  onUseCode: () => void;
}): JSX.Element {
  const [state, setState] = createSignal<LinkState>({ role: 'new', phase: 'starting', strikes: 0 });
  const [problem, setProblem] = createSignal<string | null>(null);
  let root: HTMLDivElement | undefined;
  let stop: (() => void) | undefined;
  onMount(() => {
    restartLink(props.target, 'string').then(
      () => {
        stop = followLink((s) => {
          setState(s);
          if (s.phase === 'done') props.onDone();
        });
      },
      (error: unknown) => setProblem(describeError(error)),
    );
  });
  onCleanup(() => stop?.());
  const view = () => viewOf(state());
  createEffect(on(view, () => focusView(() => root, null, { force: true })));
  const line = () => linkLine(state());
  const cancel = () => {
    void call('linkCancel').finally(() => props.onCancel());
  };
  return (
    <div class="onb__form" ref={root}>
      <div>
        <h2 tabindex="-1" data-view-heading>
          {HEADINGS[view()]}
        </h2>
        <Show when={view() === 'string'}>
          <p class="onb__lead">
            On your other browser:{' '}
            <strong>Settings → Linked devices → Link a new device → Use a link string</strong>, and
            paste it there. It then shows a check code to type here.
          </p>
        </Show>
        <Show when={view() === 'check'}>
          <p class="onb__lead">
            Your other browser now shows a 6-digit check code. Type it here to prove both screens
            belong to you.
          </p>
        </Show>
      </div>
      <Show when={view() === 'string'}>
        <Show
          when={state().linkString}
          fallback={<p class="link-code link-code--pending">Getting a link string…</p>}
        >
          {(linkString) => <LinkStringBox linkString={linkString()} />}
        </Show>
      </Show>
      <Show when={view() === 'check'}>
        <CheckCodeForm misses={state().checkMisses ?? 0} />
      </Show>
      {/* The check form says itself what a wrong code means: no second announcement. */}
      <Show when={view() !== 'check'}>
        <p class="link-status" role="status" data-phase={state().phase}>
          <Show
            when={line().failed || problem() !== null}
            fallback={<span class="spinner" aria-hidden="true" />}
          >
            <Icon name="alert" class="link-status__icon" />
          </Show>
          <span>{problem() ?? line().text}</span>
        </p>
      </Show>
      <Show when={view() === 'string'}>
        <p class="field__hint">
          The link string works for 5 minutes. Paste it only into your own browser: whoever uses it
          and types back the check code can read all your messages.
        </p>
      </Show>
      <Show
        when={line().failed || problem() !== null}
        fallback={
          <>
            <Show when={view() === 'string'}>
              <button type="button" class="btn btn--block" onClick={() => props.onUseCode()}>
                Type a code instead
              </button>
            </Show>
            <Show when={offersCancel(state())}>
              <button type="button" class="btn btn--block" onClick={cancel}>
                Cancel
              </button>
            </Show>
          </>
        }
      >
        <button type="button" class="btn btn--primary btn--large btn--block" onClick={cancel}>
          Start again
        </button>
      </Show>
    </div>
  );
}
