/**
 * Link path B on the approving browser (docs/extension.md, "Linked devices";
 * docs/protocol.md, "Linking a device"): paste the link string the new
 * browser shows, then show the 6-digit check code for the person to type
 * there. Only once the new browser confirmed that code does LinkApprove show
 * its warning and ask for the passkey, exactly as on path A.
 */
import { createSignal, type JSX, onMount } from 'solid-js';
import { describeError } from '../lib/errors.ts';
import { focusSoon } from '../lib/focus.ts';
import type { LinkState } from '../lib/protocol.ts';
import { call } from '../lib/rpc-client.ts';
import { CancelAndContinue } from './CancelAndContinue.tsx';
import { describedBy, HintOrError, invalid } from './HintOrError.tsx';

const PREFIX = 'parley:link?';

export function LinkStringForm(props: {
  onStarted: (s: LinkState) => void;
  onCancel: () => void;
}): JSX.Element {
  const [text, setText] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  let heading: HTMLHeadingElement | undefined;
  onMount(() => focusSoon(() => heading));
  const submit = (e: SubmitEvent) => {
    e.preventDefault();
    if (busy()) return;
    const linkString = text().trim();
    if (!linkString.startsWith(PREFIX)) {
      setError('Paste the whole link string; it starts with “parley:link?”.');
      return;
    }
    setBusy(true);
    setError(null);
    call('linkApproveString', { linkString }).then(props.onStarted, (err: unknown) => {
      setBusy(false);
      setError(describeError(err));
    });
  };
  return (
    <form class="link-form" onSubmit={submit} novalidate>
      <h3 class="link-form__title" tabindex="-1" data-view-heading ref={heading}>
        Link with a link string
      </h3>
      <div class="field">
        <label class="field__label" for="link-string-input">
          Link string shown on the new browser
        </label>
        <textarea
          id="link-string-input"
          class="input link-string-input"
          rows="3"
          autocomplete="off"
          spellcheck={false}
          placeholder="parley:link?v=1&r=…"
          value={text()}
          aria-invalid={invalid(error())}
          aria-describedby={describedBy('link-string', error())}
          onInput={(e) => setText(e.currentTarget.value)}
        />
        <HintOrError id="link-string" error={error()}>
          On the new browser: Set up Parley → Link to an existing account → Use a link string
          instead. This browser then shows a check code to type there.
        </HintOrError>
      </div>
      <CancelAndContinue busy={busy()} onCancel={props.onCancel} />
    </form>
  );
}

/** The check code, large and read digit by digit, until the new browser confirms it. */
export function CheckCodeShown(props: { code: string; onCancel: () => void }): JSX.Element {
  const spaced = () => `${props.code.slice(0, 3)} ${props.code.slice(3)}`;
  return (
    <section class="link-form" aria-labelledby="link-check-title">
      <h3 id="link-check-title" class="link-form__title" tabindex="-1" data-view-heading>
        Type this check code on the new browser
      </h3>
      <p class="link-check-code">
        <span aria-hidden="true">{spaced()}</span>
        <span class="sr-only">Check code: {props.code.split('').join(' ')}</span>
      </p>
      <p class="setting__desc">
        The new browser asks for it. If it asks for a different code, or you did not start linking
        yourself, cancel: someone else is trying to link.
      </p>
      <p class="link-status" role="status">
        <span class="spinner" aria-hidden="true" />
        <span>Waiting for the check code on the new browser…</span>
      </p>
      <div class="link-form__actions">
        <button type="button" class="btn" onClick={() => props.onCancel()}>
          Cancel
        </button>
      </div>
    </section>
  );
}
