/**
 * One conversation: header (presence, members, timer), history
 * (virtualised), who is typing, and the composer, or what stands in its way
 * (ComposerSlot). The data, kept current from worker events and marked read
 * as the reader sees it, comes from lib/conversation-feed.ts.
 */
import { createMemo, type JSX, Show } from 'solid-js';
import type { ParleyState } from '../lib/app-state.ts';
import { createConversationFeed } from '../lib/conversation-feed.ts';
import { createUnexpired } from '../lib/expiry-clock.ts';
import type { ConversationSummary } from '../lib/protocol.ts';
import { ArrivalAnnouncer } from './ArrivalAnnouncer.tsx';
import { ComposerSlot } from './ComposerSlot.tsx';
import { ConversationHeader } from './ConversationHeader.tsx';
import { EmptyState } from './EmptyState.tsx';
import { Icon } from './Icon.tsx';
import { MessageList } from './MessageList.tsx';
import { TypingLine } from './TypingLine.tsx';

export function ConversationView(props: {
  state: ParleyState;
  conversationId: string;
  onBack: () => void;
  /** Side panel: the contact page (direct) or the group page. */
  onOpenDetails?: () => void;
  onOpenInPanel?: () => void;
  /** The side panel records voice notes (the popup closes too easily to record in). */
  voiceNotes?: boolean;
}): JSX.Element {
  const summary = createMemo<ConversationSummary | undefined>(() =>
    props.state.conversations()?.find((c) => c.id === props.conversationId),
  );
  const title = () => summary()?.title ?? 'Conversation';
  const isGroup = () => summary()?.kind === 'group';
  const feed = createConversationFeed({
    state: props.state,
    conversationId: () => props.conversationId,
    unread: () => summary()?.unread ?? 0,
    typing: summary()?.typing ?? [],
  });
  const shown = createUnexpired(feed.messages);

  return (
    <main class="view">
      <ConversationHeader
        state={props.state}
        summary={summary()}
        title={title()}
        isGroup={isGroup()}
        onBack={props.onBack}
        onOpenDetails={props.onOpenDetails}
        onOpenInPanel={props.onOpenInPanel}
      />
      <Show when={feed.error()}>
        <div class="banner banner--error" role="alert">
          <Icon name="alert" />
          <span>{feed.error()}</span>
        </div>
      </Show>
      <Show when={feed.loaded() && shown().length === 0}>
        <EmptyState icon="lock" title="No messages yet">
          <p>
            Say hello. Everything you send is end-to-end encrypted; the relay only ever sees
            ciphertext.
          </p>
        </EmptyState>
      </Show>
      <ArrivalAnnouncer messages={feed.messages()} ready={feed.loaded()} />
      <MessageList
        messages={feed.loaded() ? shown() : []}
        hasMore={feed.hasMore()}
        loading={feed.loadingOlder()}
        onLoadOlder={() => void feed.loadOlder()}
        now={props.state.now()}
        label={`Messages with ${title()}`}
        group={isGroup()}
        unread={feed.unread()}
        unreadNow={feed.unreadNow()}
        onSeen={feed.markSeen}
      />
      <TypingLine handles={feed.typing()} />
      <ComposerSlot
        conversationId={props.conversationId}
        summary={summary()}
        title={title()}
        onSend={feed.send}
        onTyping={feed.reportTyping}
        onGone={props.onBack}
        onOpenDetails={props.onOpenDetails}
        voiceNotes={props.voiceNotes ?? false}
      />
    </main>
  );
}
