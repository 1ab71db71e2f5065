/**
 * A contact: who they are and whether they are online, the safety number
 * (SafetyNumberCard) with "mark as verified", the chat's disappearing-message
 * timer (either side may set it), and block / unblock.
 */
import { type JSX, Show } from 'solid-js';
import type { ParleyState } from '../lib/app-state.ts';
import { knownPresence, presenceLabel } from '../lib/format.ts';
import { createPageData } from '../lib/page-data.ts';
import { type ContactView, ONLINE_WINDOW_MS } from '../lib/protocol.ts';
import { call } from '../lib/rpc-client.ts';
import { useAction } from '../lib/use-action.ts';
import { Avatar } from './Avatar.tsx';
import { BackButton } from './BackButton.tsx';
import { ConfirmButton } from './ConfirmButton.tsx';
import { EmptyState } from './EmptyState.tsx';
import { ErrorLine } from './ErrorLine.tsx';
import { Icon } from './Icon.tsx';
import { IdentityNotice } from './IdentityNotice.tsx';
import { SafetyNumberCard } from './SafetyNumberCard.tsx';
import { TimerSelect } from './TimerSelect.tsx';

/** Handle, presence (as far as we can know it) and whether they are verified. */
function ContactHero(props: { state: ParleyState; contact: ContactView }): JSX.Element {
  const presence = () =>
    presenceLabel(
      knownPresence(props.contact.presence, props.state.status()?.relay),
      props.state.now(),
      ONLINE_WINDOW_MS,
    );
  return (
    <div class="contact-hero">
      <Avatar name={props.contact.handle} size="lg" />
      <h2 tabindex="-1" data-view-heading>
        @{props.contact.handle}
      </h2>
      <Show when={presence()}>
        {(label) => (
          <span class={`hero-sub${label() === 'online' ? ' hero-sub--online' : ''}`}>
            {label()}
          </span>
        )}
      </Show>
      <Show
        when={props.contact.verified}
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
  );
}

function BlockCard(props: {
  contact: ContactView;
  busy: boolean;
  onBlocked: (blocked: boolean) => void;
}): JSX.Element {
  const handle = () => props.contact.handle;
  const blocked = () => props.contact.status === 'blocked';
  return (
    <section class="card" aria-labelledby="block-title">
      <h3 id="block-title">{blocked() ? 'Blocked' : 'Block'}</h3>
      <Show
        when={blocked()}
        fallback={
          <>
            <p>
              @{handle()} won’t be able to message you: the relay drops what they send. They are not
              told.
            </p>
            <ConfirmButton
              class="btn--block"
              label={`Block @${handle()}`}
              confirmLabel={`Block @${handle()} now`}
              icon="ban"
              aria-disabled={props.busy}
              onConfirm={() => props.onBlocked(true)}
            />
          </>
        }
      >
        <p>@{handle()} can’t message you. Unblock to talk again.</p>
        <button
          type="button"
          class="btn btn--block"
          aria-disabled={props.busy}
          onClick={() => props.onBlocked(false)}
        >
          Unblock @{handle()}
        </button>
      </Show>
    </section>
  );
}

export function ContactPage(props: {
  state: ParleyState;
  conversationId: string;
  onBack: () => void;
}): JSX.Element {
  const contact = createPageData({
    read: () => call('getContact', { conversationId: props.conversationId }),
    events: props.state.on,
    stale: (event, current) =>
      event.type === 'resync' || (event.type === 'contact' && event.userId === current?.userId),
  });
  // Block and verify share one action: busy while either runs, and a new press clears the last error.
  const action = useAction();
  const busy = action.busy;
  const error = () => action.error() ?? contact.error();

  const timerMs = () =>
    props.state.conversations()?.find((c) => c.id === props.conversationId)?.timerMs ?? 0;

  const setBlocked = (c: ContactView, blocked: boolean) =>
    action.run(async () => {
      await call(blocked ? 'blockContact' : 'unblockContact', { userId: c.userId });
      await contact.reload();
    });

  const toggleVerified = (c: ContactView) =>
    action.run(async () => {
      contact.set(await call('setVerified', { userId: c.userId, verified: !c.verified }));
    });

  return (
    <main class="view">
      <header class="chat-head">
        <BackButton label="Back to the conversation" onBack={props.onBack} />
        <h1 class="topbar__title" style={{ margin: '0' }}>
          Contact
        </h1>
      </header>
      <div class="scroll">
        <Show
          when={contact.value()}
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
              <ContactHero state={props.state} contact={c()} />
              <Show when={c().identityChange}>
                <IdentityNotice conversationId={props.conversationId} name={`@${c().handle}`} />
              </Show>
              <SafetyNumberCard
                contact={c()}
                busy={busy()}
                onToggleVerified={() => void toggleVerified(c())}
              />
              <section class="card" aria-label="Disappearing messages">
                <TimerSelect
                  conversationId={props.conversationId}
                  timerMs={timerMs()}
                  canChange={c().status !== 'blocked'}
                  description={`New messages disappear this long after they are read. @${c().handle} can change it too.`}
                />
              </section>
              <BlockCard
                contact={c()}
                busy={busy()}
                onBlocked={(blocked) => void setBlocked(c(), blocked)}
              />
              <ErrorLine error={error()} />
            </div>
          )}
        </Show>
      </div>
    </main>
  );
}
