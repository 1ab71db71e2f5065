/**
 * The 60-digit safety number with a contact (12 groups of 5, read out,
 * compared side by side, or copied and compared with the one they paste
 * back; nothing in Parley scans the QR code), and "mark as verified".
 */
import { createSignal, For, type JSX, Show } from 'solid-js';
import type { ContactView } from '../lib/protocol.ts';
import { compareSafetyNumber, describeComparison } from '../lib/safety-compare.ts';
import { Icon } from './Icon.tsx';
import { QrCode } from './QrCode.tsx';

export function SafetyNumberCard(props: {
  contact: ContactView;
  busy: boolean;
  onToggleVerified: () => void;
}): JSX.Element {
  const c = () => props.contact;
  const [pasted, setPasted] = createSignal('');
  const [copied, setCopied] = createSignal<'yes' | 'failed' | null>(null);
  const comparison = () => compareSafetyNumber(c().safetyNumber.groups, pasted());

  const copyNumber = async () => {
    try {
      await navigator.clipboard.writeText(c().safetyNumber.groups.join(' '));
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
  };

  return (
    <section class="card" aria-labelledby="safety-title">
      <h3 id="safety-title">Safety number</h3>
      <p>
        Compare these numbers with @{c().handle} in person or on a call, or ask them to send you
        theirs and paste it below. If they match, nobody is in the middle.
      </p>
      <ol class="safety-grid" aria-label="Safety number, 12 groups of 5 digits">
        <For each={c().safetyNumber.groups}>{(group) => <li>{group}</li>}</For>
      </ol>
      <QrCode
        payload={c().safetyNumber.qrPayload}
        label={`QR code of the safety number with @${c().handle}`}
      />
      <button type="button" class="btn btn--block" onClick={() => void copyNumber()}>
        {copied() === 'yes' ? 'Copied' : 'Copy the number'}
      </button>
      <Show when={copied() === 'failed'}>
        <p class="field__error" role="alert">
          Could not copy. Select the digits above and copy them.
        </p>
      </Show>
      <div class="field">
        <label class="field__label" for="safety-paste">
          Paste the number @{c().handle} sent you
        </label>
        <textarea
          id="safety-paste"
          class="input"
          rows={2}
          spellcheck={false}
          autocomplete="off"
          value={pasted()}
          aria-describedby={
            describeComparison(comparison(), c().handle) === null ? undefined : 'safety-compare'
          }
          onInput={(e) => setPasted(e.currentTarget.value)}
        />
        <Show when={describeComparison(comparison(), c().handle)}>
          {(text) => (
            <span
              id="safety-compare"
              role="status"
              class={comparison().kind === 'match' ? 'field__ok' : 'field__error'}
            >
              {text()}
            </span>
          )}
        </Show>
      </div>
      <button
        type="button"
        class={`btn btn--block${c().verified ? '' : ' btn--primary'}`}
        aria-disabled={props.busy}
        onClick={() => props.onToggleVerified()}
      >
        <Icon name={c().verified ? 'close' : 'shieldCheck'} />
        {c().verified ? 'Clear verification' : 'Mark as verified'}
      </button>
    </section>
  );
}
