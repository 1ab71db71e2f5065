/**
 * A contact: who they are and whether they are online, the 60-digit safety
 * number (12 groups of 5, read out, compared side by side, or copied and
 * compared with the one they paste back; nothing in Parley scans the QR code),
 * "mark as verified", the chat's disappearing-message timer (either side may
 * set it), and block / unblock.
 */
import { createSignal, For, type JSX, onCleanup, onMount, Show } from 'solid-js';
import type { ParleyState } from '../lib/app-state.ts';
import { describeError } from '../lib/errors.ts';
import { knownPresence, presenceLabel } from '../lib/format.ts';
import { type ContactView, ONLINE_WINDOW_MS } from '../lib/protocol.ts';
import { call } from '../lib/rpc-client.ts';
import { compareSafetyNumber, describeComparison } from '../lib/safety-compare.ts';
import { useAction } from '../lib/use-action.ts';
import { Avatar } from './Avatar.tsx';
import { BackButton } from './BackButton.tsx';
import { ConfirmButton } from './ConfirmButton.tsx';
import { EmptyState } from './EmptyState.tsx';
import { ErrorLine } from './ErrorLine.tsx';
import { Icon } from './Icon.tsx';
import { IdentityNotice } from './IdentityNotice.tsx';
import { QrCode } from './QrCode.tsx';
import { TimerSelect } from './TimerSelect.tsx';

export function ContactPage(props: {
  state: ParleyState;
  conversationId: string;
  onBack: () => void;
}): JSX.Element {
  const [contact, setContact] = createSignal<ContactView | null>(null);
  const [loadError, setLoadError] = createSignal<string | null>(null);
  // Block and verify share one action: busy while either runs, and a new press clears the last error.
  const action = useAction();
  const busy = action.busy;
  const error = () => action.error() ?? loadError();

  const load = async () => {
    try {
      setContact(await call('getContact', { conversationId: props.conversationId }));
      setLoadError(null);
    } catch (e) {
      setLoadError(describeError(e));
    }
  };

  onMount(() => {
    void load();
    const off = props.state.on((event) => {
      if (
        event.type === 'resync' ||
        (event.type === 'contact' && event.userId === contact()?.userId)
      )
        void load();
    });
    onCleanup(off);
  });

  const timerMs = () =>
    props.state.conversations()?.find((c) => c.id === props.conversationId)?.timerMs ?? 0;

  const setBlocked = (c: ContactView, blocked: boolean) =>
    action.run(async () => {
      await call(blocked ? 'blockContact' : 'unblockContact', { userId: c.userId });
      await load();
    });

  const [pasted, setPasted] = createSignal('');
  const [copied, setCopied] = createSignal<'yes' | 'failed' | null>(null);
  const comparison = (c: ContactView) => compareSafetyNumber(c.safetyNumber.groups, pasted());

  const copyNumber = async (c: ContactView) => {
    try {
      await navigator.clipboard.writeText(c.safetyNumber.groups.join(' '));
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
  };

  const toggleVerified = (c: ContactView) =>
    action.run(async () => {
      setContact(await call('setVerified', { userId: c.userId, verified: !c.verified }));
    });

  return (
    <div class="view">
      <header class="chat-head">
        <BackButton label="Back to the conversation" onBack={props.onBack} />
        <div class="topbar__title">Contact</div>
      </header>
      <div class="scroll">
        <Show
          when={contact()}
          fallback={
            <Show when={error()}>
              <EmptyState icon="alert" title="Contact unavailable">
                <p>{error()}</p>
              </EmptyState>
            </Show>
          }
        >
          {(c) => (
            <div class="page">
              <div class="contact-hero">
                <Avatar name={c().handle} size="lg" />
                <h2>@{c().handle}</h2>
                <Show
                  when={presenceLabel(
                    knownPresence(c().presence, props.state.status()?.relay),
                    props.state.now(),
                    ONLINE_WINDOW_MS,
                  )}
                >
                  {(label) => (
                    <span class={`hero-sub${label() === 'online' ? ' hero-sub--online' : ''}`}>
                      {label()}
                    </span>
                  )}
                </Show>
                <Show
                  when={c().verified}
                  fallback={
                    <span class="status-chip status-chip--muted">
                      <Icon name="shield" /> Not verified
                    </span>
                  }
                >
                  <span class="status-chip status-chip--ok">
                    <Icon name="shieldCheck" /> Verified
                  </span>
                </Show>
              </div>
              <Show when={c().identityChange}>
                <IdentityNotice conversationId={props.conversationId} name={`@${c().handle}`} />
              </Show>
              <section class="card" aria-labelledby="safety-title">
                <h3 id="safety-title">Safety number</h3>
                <p>
                  Compare these numbers with @{c().handle} in person or on a call, or ask them to
                  send you theirs and paste it below. If they match, nobody is in the middle.
                </p>
                <ol class="safety-grid" aria-label="Safety number, 12 groups of 5 digits">
                  <For each={c().safetyNumber.groups}>{(group) => <li>{group}</li>}</For>
                </ol>
                <QrCode
                  payload={c().safetyNumber.qrPayload}
                  label={`QR code of the safety number with @${c().handle}`}
                />
                <button type="button" class="btn btn--block" onClick={() => void copyNumber(c())}>
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
                    aria-describedby="safety-compare"
                    onInput={(e) => setPasted(e.currentTarget.value)}
                  />
                  <Show when={describeComparison(comparison(c()), c().handle)}>
                    {(text) => (
                      <span
                        id="safety-compare"
                        role="status"
                        class={comparison(c()).kind === 'match' ? 'field__ok' : 'field__error'}
                      >
                        {text()}
                      </span>
                    )}
                  </Show>
                </div>
                <button
                  type="button"
                  class={`btn btn--block${c().verified ? '' : ' btn--primary'}`}
                  disabled={busy()}
                  onClick={() => void toggleVerified(c())}
                >
                  <Icon name={c().verified ? 'close' : 'shieldCheck'} />
                  {c().verified ? 'Clear verification' : 'Mark as verified'}
                </button>
              </section>
              <section class="card" aria-label="Disappearing messages">
                <TimerSelect
                  conversationId={props.conversationId}
                  timerMs={timerMs()}
                  canChange={c().status !== 'blocked'}
                  description={`New messages disappear this long after they are read. @${c().handle} can change it too.`}
                />
              </section>
              <section class="card" aria-labelledby="block-title">
                <h3 id="block-title">{c().status === 'blocked' ? 'Blocked' : 'Block'}</h3>
                <Show
                  when={c().status === 'blocked'}
                  fallback={
                    <>
                      <p>
                        @{c().handle} won’t be able to message you: the relay drops what they send.
                        They are not told.
                      </p>
                      <ConfirmButton
                        class="btn--block"
                        label={`Block @${c().handle}`}
                        confirmLabel={`Block @${c().handle} now`}
                        icon="ban"
                        disabled={busy()}
                        onConfirm={() => setBlocked(c(), true)}
                      />
                    </>
                  }
                >
                  <p>@{c().handle} can’t message you. Unblock to talk again.</p>
                  <button
                    type="button"
                    class="btn btn--block"
                    disabled={busy()}
                    onClick={() => void setBlocked(c(), false)}
                  >
                    Unblock @{c().handle}
                  </button>
                </Show>
              </section>
              <ErrorLine error={error()} />
            </div>
          )}
        </Show>
      </div>
    </div>
  );
}
