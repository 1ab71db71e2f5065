/**
 * A group: its name, the disappearing-message timer, the members with their
 * roles, and what we may change. Every control appears only when the group's
 * permission table allows it (`can.*` and `canRemove` from the worker, which
 * checks again, as does every member): rename and timer for admins, adding
 * and removing members for admins, roles and ownership for the owner, leaving
 * for everyone but the owner.
 */
import { type JSX, Show } from 'solid-js';
import type { ParleyState } from '../lib/app-state.ts';
import { timerLabel } from '../lib/format.ts';
import { createPageData } from '../lib/page-data.ts';
import type { GroupView } from '../lib/protocol.ts';
import { call } from '../lib/rpc-client.ts';
import { useAction } from '../lib/use-action.ts';
import { BackButton } from './BackButton.tsx';
import { ConfirmButton } from './ConfirmButton.tsx';
import { EmptyState } from './EmptyState.tsx';
import { ErrorLine } from './ErrorLine.tsx';
import { GroupHero } from './GroupHero.tsx';
import { type GroupAct, GroupMembers } from './GroupMembers.tsx';
import { TimerSelect } from './TimerSelect.tsx';

/** Leave (members and admins), or delete the conversation once we are no longer in it. */
function GroupExit(props: {
  group: GroupView;
  busy: boolean;
  act: GroupAct;
  onLeft: () => void;
  onGone: () => void;
}): JSX.Element {
  const id = () => props.group.conversationId;
  return (
    <>
      <Show when={props.group.can.leave}>
        <ConfirmButton
          class="btn--block"
          label="Leave group"
          confirmLabel="Leave for good"
          icon="leave"
          aria-disabled={props.busy}
          onConfirm={() =>
            props.act(async () => {
              await call('leaveGroup', { conversationId: id() });
              return null;
            }, props.onLeft)
          }
        />
      </Show>
      <Show when={props.group.myRole === 'owner'}>
        <p class="hint">You own this group. To leave it, make another member the owner first.</p>
      </Show>
      <Show when={props.group.myRole === null}>
        <ConfirmButton
          class="btn--block"
          label="Delete conversation"
          confirmLabel="Delete for good"
          icon="trash"
          aria-disabled={props.busy}
          onConfirm={() =>
            props.act(async () => {
              await call('deleteConversation', { conversationId: id() });
              return null;
            }, props.onGone)
          }
        />
      </Show>
    </>
  );
}

export function GroupPage(props: {
  state: ParleyState;
  conversationId: string;
  onBack: () => void;
  /** After leaving or deleting: back to the list. */
  onGone: () => void;
}): JSX.Element {
  // Reading and changing share one error line: a good read or a new change clears it.
  const { busy, error, setError, run } = useAction();
  const group = createPageData({
    read: () => call('getGroup', { conversationId: props.conversationId }),
    events: props.state.on,
    stale: (event) =>
      event.type === 'resync' ||
      (event.type === 'group' && event.conversationId === props.conversationId),
    error: [error, setError],
  });

  const act: GroupAct = (change, after) => {
    void run(async () => {
      const next = await change();
      if (next !== null) group.set(next);
    }, after);
  };

  return (
    <main class="view">
      <header class="chat-head">
        <BackButton label="Back to the conversation" onBack={props.onBack} />
        <h1 class="topbar__title" style={{ margin: '0' }}>
          Group
        </h1>
      </header>
      <div class="scroll">
        <Show
          when={group.value()}
          fallback={
            <Show when={error()}>
              <EmptyState icon="alert" title="Group unavailable">
                <p>{error()}</p>
              </EmptyState>
            </Show>
          }
        >
          {(g) => (
            <div class="page">
              <GroupHero group={g()} busy={busy()} act={act} />
              <section class="card" aria-label="Disappearing messages">
                <TimerSelect
                  conversationId={g().conversationId}
                  timerMs={g().timerMs}
                  canChange={g().can.setTimer}
                  description={
                    g().can.setTimer
                      ? 'New messages disappear this long after each member has read them.'
                      : `${timerLabel(g().timerMs)}. Only admins can change it.`
                  }
                />
              </section>
              <GroupMembers
                group={g()}
                busy={busy()}
                act={act}
                onProblem={(problem) => setError(problem)}
              />
              <GroupExit
                group={g()}
                busy={busy()}
                act={act}
                onLeft={props.onBack}
                onGone={props.onGone}
              />
              <ErrorLine error={error()} />
            </div>
          )}
        </Show>
      </div>
    </main>
  );
}
