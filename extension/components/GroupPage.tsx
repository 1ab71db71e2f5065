/**
 * A group: its name, the disappearing-message timer, the members with their
 * roles, and what we may change. Every control appears only when the group's
 * permission table allows it (`can.*` and `canRemove` from the worker, which
 * checks again, as does every member): rename and timer for admins, adding
 * and removing members for admins, roles and ownership for the owner, leaving
 * for everyone but the owner.
 */
import { createSignal, For, type JSX, onCleanup, onMount, Show } from 'solid-js';
import type { ParleyState } from '../lib/app-state.ts';
import { describeError } from '../lib/errors.ts';
import { membersLabel, timerLabel } from '../lib/format.ts';
import { parseHandles } from '../lib/handles.ts';
import type { GroupMemberView, GroupRole, GroupView } from '../lib/protocol.ts';
import { GROUP_NAME_MAX_CHARS } from '../lib/protocol.ts';
import { call } from '../lib/rpc-client.ts';
import { useAction } from '../lib/use-action.ts';
import { Avatar } from './Avatar.tsx';
import { BackButton } from './BackButton.tsx';
import { ConfirmButton } from './ConfirmButton.tsx';
import { EmptyState } from './EmptyState.tsx';
import { ErrorLine } from './ErrorLine.tsx';
import { Icon } from './Icon.tsx';
import { TimerSelect } from './TimerSelect.tsx';

const ROLE_NAME: Record<GroupRole, string> = { owner: 'Owner', admin: 'Admin', member: 'Member' };

function MemberRow(props: {
  group: GroupView;
  member: GroupMemberView;
  busy: boolean;
  /** Whose actions are shown (kept by the page: rows are rebuilt when the group changes). */
  open: boolean;
  onToggle: () => void;
  act: (run: () => Promise<GroupView | null>) => void;
}): JSX.Element {
  const open = () => props.open;
  const m = () => props.member;
  const id = () => props.group.conversationId;
  const canRoles = () => props.group.can.changeRoles && !m().isSelf && m().role !== 'owner';
  const hasActions = () => canRoles() || m().canRemove;
  const setRole = (role: GroupRole) =>
    props.act(() => call('setGroupRole', { conversationId: id(), userId: m().userId, role }));
  return (
    <li class="member">
      <div class="member__row">
        <Avatar name={m().handle} size="sm" />
        <span class="member__name">
          @{m().handle}
          <Show when={m().isSelf}>
            <span class="member__you"> (you)</span>
          </Show>
        </span>
        <Show when={m().role !== 'member'}>
          <span class={`role-badge role-badge--${m().role}`}>{ROLE_NAME[m().role]}</span>
        </Show>
        <Show when={hasActions()}>
          <button
            type="button"
            class="icon-btn"
            aria-expanded={open()}
            aria-controls={`member-actions-${m().userId}`}
            aria-label={`Manage @${m().handle}`}
            onClick={() => props.onToggle()}
          >
            <Icon name="chevron" class={open() ? 'rot90' : ''} />
          </button>
        </Show>
      </div>
      <Show when={open()}>
        <div class="member__actions" id={`member-actions-${m().userId}`}>
          <Show when={canRoles() && m().role === 'member'}>
            <button
              type="button"
              class="btn btn--small"
              disabled={props.busy}
              onClick={() => setRole('admin')}
            >
              Make admin
            </button>
          </Show>
          <Show when={canRoles() && m().role === 'admin'}>
            <button
              type="button"
              class="btn btn--small"
              disabled={props.busy}
              onClick={() => setRole('member')}
            >
              Remove admin role
            </button>
          </Show>
          <Show when={canRoles()}>
            <ConfirmButton
              class="btn--small"
              label="Make owner"
              confirmLabel={`Hand the group to @${m().handle}`}
              disabled={props.busy}
              onConfirm={() => setRole('owner')}
            />
          </Show>
          <Show when={m().canRemove}>
            <ConfirmButton
              class="btn--small"
              label="Remove from group"
              confirmLabel={`Remove @${m().handle}`}
              icon="leave"
              disabled={props.busy}
              onConfirm={() =>
                props.act(() =>
                  call('removeGroupMember', { conversationId: id(), userId: m().userId }),
                )
              }
            />
          </Show>
        </div>
      </Show>
    </li>
  );
}

export function GroupPage(props: {
  state: ParleyState;
  conversationId: string;
  onBack: () => void;
  /** After leaving or deleting: back to the list. */
  onGone: () => void;
}): JSX.Element {
  const [group, setGroup] = createSignal<GroupView | null>(null);
  const { busy, error, setError, run } = useAction();
  const [renaming, setRenaming] = createSignal(false);
  const [newName, setNewName] = createSignal('');
  const [adding, setAdding] = createSignal('');
  const [expanded, setExpanded] = createSignal<string | null>(null);

  const load = async () => {
    try {
      setGroup(await call('getGroup', { conversationId: props.conversationId }));
      setError(null);
    } catch (e) {
      setError(describeError(e));
    }
  };

  onMount(() => {
    void load();
    const off = props.state.on((event) => {
      if (
        event.type === 'resync' ||
        (event.type === 'group' && event.conversationId === props.conversationId)
      )
        void load();
    });
    onCleanup(off);
  });

  /** Runs a change; the answer (or a reload) is what the page shows next. */
  const act = (change: () => Promise<GroupView | null>, after?: () => void) => {
    void run(async () => {
      const next = await change();
      if (next !== null) setGroup(next);
    }, after);
  };

  const rename = (e: SubmitEvent) => {
    e.preventDefault();
    const name = newName().trim();
    if (name === '') return;
    act(
      () => call('renameGroup', { conversationId: props.conversationId, name }),
      () => setRenaming(false),
    );
  };

  const add = (e: SubmitEvent) => {
    e.preventDefault();
    const { handles, bad } = parseHandles(adding());
    if (bad !== null) {
      setError(`“${bad}” is not a handle.`);
      return;
    }
    if (handles.length === 0) return;
    act(
      () => call('addGroupMembers', { conversationId: props.conversationId, handles }),
      () => setAdding(''),
    );
  };

  return (
    <div class="view">
      <header class="chat-head">
        <BackButton label="Back to the conversation" onBack={props.onBack} />
        <h1 class="topbar__title" style={{ margin: '0' }}>
          Group
        </h1>
      </header>
      <div class="scroll">
        <Show
          when={group()}
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
              <div class="contact-hero">
                <Avatar name={g().name} size="lg" group />
                <Show
                  when={renaming()}
                  fallback={
                    <h2 class="hero-name">
                      {g().name}
                      <Show when={g().can.rename}>
                        <button
                          type="button"
                          class="icon-btn icon-btn--sm"
                          aria-label="Rename group"
                          onClick={() => {
                            setNewName(g().name);
                            setRenaming(true);
                          }}
                        >
                          <Icon name="compose" />
                        </button>
                      </Show>
                    </h2>
                  }
                >
                  <form class="inline-form" onSubmit={rename} aria-label="Rename group">
                    <label class="sr-only" for="group-name">
                      Group name
                    </label>
                    <input
                      id="group-name"
                      class="input"
                      value={newName()}
                      maxLength={GROUP_NAME_MAX_CHARS}
                      ref={(el) => queueMicrotask(() => el.focus())}
                      onInput={(e) => setNewName(e.currentTarget.value)}
                      onKeyDown={(e) => {
                        if (e.key === 'Escape') setRenaming(false);
                      }}
                    />
                    <button class="btn btn--primary" type="submit" disabled={busy()}>
                      Save
                    </button>
                    <button type="button" class="btn" onClick={() => setRenaming(false)}>
                      Cancel
                    </button>
                  </form>
                </Show>
                <span class="hero-sub">
                  {membersLabel(g().members.length)}
                  {g().myRole === null ? ' · you are not a member' : ''}
                </span>
              </div>

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

              <section class="card card--list" aria-labelledby="members-title">
                <h3 id="members-title">Members</h3>
                <ul class="members" aria-labelledby="members-title">
                  <For each={g().members}>
                    {(member) => (
                      <MemberRow
                        group={g()}
                        member={member}
                        busy={busy()}
                        open={expanded() === member.userId}
                        onToggle={() =>
                          setExpanded(expanded() === member.userId ? null : member.userId)
                        }
                        act={act}
                      />
                    )}
                  </For>
                </ul>
                <Show when={g().can.addMembers}>
                  <form class="inline-form" onSubmit={add} aria-label="Add members">
                    <label class="sr-only" for="add-members">
                      Handles to add
                    </label>
                    <input
                      id="add-members"
                      class="input"
                      placeholder="Add: @dave, @erin"
                      autocomplete="off"
                      spellcheck={false}
                      value={adding()}
                      onInput={(e) => setAdding(e.currentTarget.value)}
                    />
                    <button class="btn" type="submit" disabled={busy() || adding().trim() === ''}>
                      <Icon name="userPlus" />
                      Add
                    </button>
                  </form>
                </Show>
              </section>

              <Show when={g().can.leave}>
                <ConfirmButton
                  class="btn--block"
                  label="Leave group"
                  confirmLabel="Leave for good"
                  icon="leave"
                  disabled={busy()}
                  onConfirm={() =>
                    act(async () => {
                      await call('leaveGroup', { conversationId: props.conversationId });
                      return null;
                    }, props.onBack)
                  }
                />
              </Show>
              <Show when={g().myRole === 'owner'}>
                <p class="hint">
                  You own this group. To leave it, make another member the owner first.
                </p>
              </Show>
              <Show when={g().myRole === null}>
                <ConfirmButton
                  class="btn--block"
                  label="Delete conversation"
                  confirmLabel="Delete for good"
                  icon="trash"
                  disabled={busy()}
                  onConfirm={() =>
                    act(async () => {
                      await call('deleteConversation', { conversationId: props.conversationId });
                      return null;
                    }, props.onGone)
                  }
                />
              </Show>
              <ErrorLine error={error()} />
            </div>
          )}
        </Show>
      </div>
    </div>
  );
}
