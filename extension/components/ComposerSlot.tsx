/**
 * The bottom of a conversation: the composer, or what stands in its way (the
 * blocking notice after an identity change, a group invitation, a blocked
 * contact, a group we are no longer in). A direct message request keeps its
 * composer (replying accepts) with the request banner above it.
 */
import { type JSX, Match, Show, Switch } from 'solid-js';
import type { ConversationSummary } from '../lib/protocol.ts';
import { Composer } from './Composer.tsx';
import { IdentityNotice } from './IdentityNotice.tsx';
import { BlockedNotice, NotMemberNotice, RequestBanner } from './RequestBanner.tsx';

type Gate = 'identity' | 'request' | 'blocked' | 'left' | null;

/** What stands where the composer would be, if anything. */
function gateOf(c: ConversationSummary | undefined): Gate {
  if (c === undefined) return null;
  if (c.identityChanged) return 'identity';
  if (c.blocked) return 'blocked';
  // A direct request keeps its composer (replying accepts); a group needs Accept first.
  if (c.isRequest && c.kind === 'group') return 'request';
  if (c.group !== undefined && c.group.myRole === null) return 'left';
  return null;
}

export function ComposerSlot(props: {
  conversationId: string;
  summary: ConversationSummary | undefined;
  title: string;
  onSend: (text: string) => Promise<void>;
  onTyping: (typing: boolean) => void;
  /** The conversation was deleted (or left): back to the list. */
  onGone: () => void;
  onOpenDetails?: (() => void) | undefined;
}): JSX.Element {
  const gate = () => gateOf(props.summary);
  return (
    <>
      <Show when={gate() === null && props.summary?.isRequest ? props.summary : undefined}>
        {(c) => <RequestBanner conversation={c()} onGone={props.onGone} />}
      </Show>
      <Switch
        fallback={
          <Composer
            conversationId={props.conversationId}
            onSend={props.onSend}
            onTyping={props.onTyping}
            placeholder={`Message ${props.title}`}
            autofocus
          />
        }
      >
        <Match when={gate() === 'identity'}>
          <IdentityNotice
            conversationId={props.conversationId}
            name={props.title}
            {...(props.onOpenDetails === undefined ? {} : { onReview: props.onOpenDetails })}
          />
        </Match>
        <Match when={gate() === 'request' ? props.summary : undefined}>
          {(c) => <RequestBanner conversation={c()} onGone={props.onGone} />}
        </Match>
        <Match when={gate() === 'blocked' ? props.summary : undefined}>
          {(c) => <BlockedNotice conversation={c()} onGone={props.onGone} />}
        </Match>
        <Match when={gate() === 'left' ? props.summary : undefined}>
          {(c) => <NotMemberNotice conversation={c()} onGone={props.onGone} />}
        </Match>
      </Switch>
    </>
  );
}
