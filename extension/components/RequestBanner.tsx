/**
 * What replaces the composer when writing is not (yet) the next step:
 *  - a message request (someone unknown wrote, or added us to a group):
 *    Accept, Block or Delete. Nothing (receipts, typing, presence) reaches
 *    them before Accept;
 *  - a contact we blocked: Unblock or Delete;
 *  - a group we are no longer in: Delete.
 */
import { type JSX, Show } from 'solid-js';
import { focusView } from '../lib/focus.ts';
import { createPageData } from '../lib/page-data.ts';
import type { ConversationSummary } from '../lib/protocol.ts';
import { call } from '../lib/rpc-client.ts';
import { useAction } from '../lib/use-action.ts';
import { ConfirmButton } from './ConfirmButton.tsx';
import { ErrorLine } from './ErrorLine.tsx';
import { Icon } from './Icon.tsx';

/** A message request, direct or group. `onGone`: the conversation was deleted. */
export function RequestBanner(props: {
  conversation: ConversationSummary;
  onGone: () => void;
}): JSX.Element {
  const { busy, error, run } = useAction();
  const c = () => props.conversation;
  const isGroup = () => c().kind === 'group';
  // Who added us to a group (unknown until read; the banner says "someone" meanwhile).
  const invitation = createPageData({
    read: async () => (isGroup() ? call('getGroup', { conversationId: c().id }) : null),
  });
  const who = () => (isGroup() ? invitation.value()?.addedBy : c().title);
  const blockId = () => (isGroup() ? invitation.value()?.addedById : c().peerId);

  // The banner goes once accepted: focus moves on to the composer that is then there.
  const accept = () =>
    run(
      () => call('acceptRequest', { conversationId: c().id }),
      () => focusView(() => document, '#composer-text'),
    );
  const remove = () =>
    run(() => call('deleteConversation', { conversationId: c().id }), props.onGone);
  const block = () =>
    run(
      async () => {
        const userId = blockId();
        if (userId !== undefined) await call('blockContact', { userId });
        // A group request is left as well: nothing more arrives from it.
        if (isGroup()) await call('deleteConversation', { conversationId: c().id });
      },
      isGroup() ? props.onGone : undefined,
    );

  return (
    <section class="notice notice--request" aria-labelledby="request-title">
      <div class="notice__title" id="request-title">
        <Icon name={isGroup() ? 'users' : 'userPlus'} />
        {isGroup() ? 'Group invitation' : 'Message request'}
      </div>
      <p>
        <Show
          when={isGroup()}
          fallback={
            <>
              @{c().title} wants to message you. They won’t see that you read their messages, or
              when you are online, until you accept or reply.
            </>
          }
        >
          <Show when={who()} fallback="Someone you haven’t chatted with added you to this group.">
            @{who()} added you to {c().title}.
          </Show>{' '}
          Members won’t see that you read messages until you accept.
        </Show>
      </p>
      <div class="notice__actions">
        <button
          type="button"
          class="btn btn--primary"
          aria-disabled={busy()}
          onClick={() => void accept()}
        >
          <Icon name="check" />
          Accept
        </button>
        <Show when={blockId()}>
          <ConfirmButton
            label="Block"
            confirmLabel={`Block @${who() ?? ''}`}
            icon="ban"
            aria-disabled={busy()}
            onConfirm={block}
          />
        </Show>
        <ConfirmButton
          label="Delete"
          confirmLabel={isGroup() ? 'Leave and delete' : 'Delete for good'}
          icon="trash"
          aria-disabled={busy()}
          onConfirm={remove}
        />
      </div>
      <ErrorLine error={error()} />
    </section>
  );
}

/** A contact we blocked. */
export function BlockedNotice(props: {
  conversation: ConversationSummary;
  onGone: () => void;
}): JSX.Element {
  const { busy, error, run } = useAction();
  return (
    <section class="notice notice--muted" aria-labelledby="blocked-title">
      <div class="notice__title" id="blocked-title">
        <Icon name="ban" />
        You blocked @{props.conversation.title}
      </div>
      <p>They can’t send you messages, and you won’t see that they are online.</p>
      <div class="notice__actions">
        <button
          type="button"
          class="btn btn--primary"
          aria-disabled={busy()}
          onClick={() => {
            const userId = props.conversation.peerId;
            if (userId !== undefined) void run(() => call('unblockContact', { userId }));
          }}
        >
          Unblock
        </button>
        <ConfirmButton
          label="Delete"
          confirmLabel="Delete for good"
          icon="trash"
          aria-disabled={busy()}
          onConfirm={() =>
            run(
              () => call('deleteConversation', { conversationId: props.conversation.id }),
              props.onGone,
            )
          }
        />
      </div>
      <ErrorLine error={error()} />
    </section>
  );
}

/** A group we left or were removed from: history stays readable, nothing new arrives. */
export function NotMemberNotice(props: {
  conversation: ConversationSummary;
  onGone: () => void;
}): JSX.Element {
  const { busy, error, run } = useAction();
  return (
    <section class="notice notice--muted" aria-labelledby="left-title">
      <div class="notice__title" id="left-title">
        <Icon name="leave" />
        You’re no longer a member of this group
      </div>
      <p>
        You can’t send messages here, and new messages in the group can’t be read on this device.
      </p>
      <div class="notice__actions">
        <ConfirmButton
          label="Delete conversation"
          confirmLabel="Delete for good"
          icon="trash"
          aria-disabled={busy()}
          onConfirm={() =>
            run(
              () => call('deleteConversation', { conversationId: props.conversation.id }),
              props.onGone,
            )
          }
        />
      </div>
      <ErrorLine error={error()} />
    </section>
  );
}
