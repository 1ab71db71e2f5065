/**
 * A conversation's header: back, who it is with (presence, verified, or the
 * group's member count) as the button to their details, the disappearing-
 * message timer, and "open in side panel" in the popup.
 */
import { type JSX, Show } from 'solid-js';
import type { ParleyState } from '../lib/app-state.ts';
import { pageTitle, useDocumentTitle } from '../lib/document-title.ts';
import {
  knownPresence,
  membersLabel,
  presenceLabel,
  timerLabel,
  timerShort,
} from '../lib/format.ts';
import { type ConversationSummary, ONLINE_WINDOW_MS } from '../lib/protocol.ts';
import { Avatar } from './Avatar.tsx';
import { BackButton } from './BackButton.tsx';
import { Icon } from './Icon.tsx';

export function ConversationHeader(props: {
  state: ParleyState;
  summary: ConversationSummary | undefined;
  title: string;
  isGroup: boolean;
  onBack: () => void;
  onOpenDetails?: (() => void) | undefined;
  onOpenInPanel?: (() => void) | undefined;
}): JSX.Element {
  /** Presence as far as we can know it (never "online" while the relay is unreachable). */
  useDocumentTitle(() => pageTitle({ about: props.title }));
  const presenceNow = () => knownPresence(props.summary?.presence, props.state.status()?.relay);
  const subtitle = () => {
    const c = props.summary;
    if (c === undefined) return 'End-to-end encrypted';
    if (c.group !== undefined) {
      return c.group.myRole === null
        ? 'You are no longer a member'
        : membersLabel(c.group.memberCount);
    }
    const presence = presenceLabel(presenceNow(), props.state.now(), ONLINE_WINDOW_MS);
    if (c.verified)
      return presence === null ? 'Verified contact' : `Verified contact · ${presence}`;
    return presence ?? (c.isRequest ? 'Message request' : 'End-to-end encrypted');
  };

  return (
    <header class="chat-head">
      {/* The view's heading for screen readers; the button below shows the same title. */}
      <h1 class="sr-only">{props.title}</h1>
      <BackButton label="Back to conversations" onBack={props.onBack} />
      <button
        type="button"
        class="chat-head__who"
        onClick={() => props.onOpenDetails?.()}
        disabled={props.onOpenDetails === undefined}
        data-opens="details"
      >
        {/*
         * Named from content, starting with what is visible (title, then the subtitle),
         * not by an aria-label that would hide the subtitle (WCAG 2.5.3 Label in Name).
         */}
        <span class="sr-only">
          {`${props.title}, ${subtitle()}: ${
            props.isGroup ? 'group details and members' : 'contact details and safety number'
          }`}
        </span>
        <Avatar
          name={props.title}
          size="sm"
          group={props.isGroup}
          online={presenceLabel(presenceNow(), props.state.now(), ONLINE_WINDOW_MS) === 'online'}
        />
        <span style={{ 'min-width': '0' }} aria-hidden="true">
          <span class="chat-head__name">
            <span class="chat-head__title">{props.title}</span>
            <Show when={props.summary?.verified}>
              <span class="verified-chip" title="Verified">
                <Icon name="shieldCheck" />
              </span>
            </Show>
          </span>
          <span class="chat-head__sub">{subtitle()}</span>
        </span>
      </button>
      <Show when={props.summary?.timerMs}>
        {(ms) => (
          <span
            class="timer-badge"
            role="img"
            aria-label={`Disappearing messages: ${timerLabel(ms())}`}
            title={`Disappearing messages: ${timerLabel(ms())}`}
          >
            <Icon name="timer" />
            <span aria-hidden="true">{timerShort(ms())}</span>
          </span>
        )}
      </Show>
      <Show when={props.onOpenInPanel}>
        {(open) => (
          <button
            type="button"
            class="icon-btn"
            onClick={() => open()()}
            aria-label="Open in side panel"
          >
            <Icon name="panel" />
          </button>
        )}
      </Show>
    </header>
  );
}
