/**
 * A group's members with their roles, each with the actions our role allows
 * (Manage: make or unmake admin, hand over ownership, remove), and the form
 * that adds members.
 */
import { createSignal, For, type JSX, Show } from 'solid-js';
import { focusView } from '../lib/focus.ts';
import { parseHandles } from '../lib/handles.ts';
import type { GroupMemberView, GroupRole, GroupView } from '../lib/protocol.ts';
import { call } from '../lib/rpc-client.ts';
import { Avatar } from './Avatar.tsx';
import { ConfirmButton } from './ConfirmButton.tsx';
import { Icon } from './Icon.tsx';

const ROLE_NAME: Record<GroupRole, string> = { owner: 'Owner', admin: 'Admin', member: 'Member' };

/** Runs a change; its answer (when it has one) is the group shown next. */
export type GroupAct = (change: () => Promise<GroupView | null>, after?: () => void) => void;

function MemberActions(props: {
  group: GroupView;
  member: GroupMemberView;
  canRoles: boolean;
  busy: boolean;
  act: GroupAct;
}): JSX.Element {
  const m = () => props.member;
  const id = () => props.group.conversationId;
  // The rows are rebuilt with the new group: focus goes back into this member's actions.
  const refocus = () => focusView(() => document, `#member-actions-${m().userId} button`);
  const setRole = (role: GroupRole) =>
    props.act(
      () => call('setGroupRole', { conversationId: id(), userId: m().userId, role }),
      refocus,
    );
  return (
    <div class="member__actions" id={`member-actions-${m().userId}`}>
      <Show when={props.canRoles && m().role === 'member'}>
        <button
          type="button"
          class="btn btn--small"
          aria-disabled={props.busy}
          onClick={() => setRole('admin')}
        >
          Make admin
        </button>
      </Show>
      <Show when={props.canRoles && m().role === 'admin'}>
        <button
          type="button"
          class="btn btn--small"
          aria-disabled={props.busy}
          onClick={() => setRole('member')}
        >
          Remove admin role
        </button>
      </Show>
      <Show when={props.canRoles}>
        <ConfirmButton
          class="btn--small"
          label="Make owner"
          confirmLabel={`Hand the group to @${m().handle}`}
          aria-disabled={props.busy}
          onConfirm={() => setRole('owner')}
        />
      </Show>
      <Show when={m().canRemove}>
        <ConfirmButton
          class="btn--small"
          label="Remove from group"
          confirmLabel={`Remove @${m().handle}`}
          icon="leave"
          aria-disabled={props.busy}
          onConfirm={() =>
            props.act(() => call('removeGroupMember', { conversationId: id(), userId: m().userId }))
          }
        />
      </Show>
    </div>
  );
}

function MemberRow(props: {
  group: GroupView;
  member: GroupMemberView;
  busy: boolean;
  /** Whose actions are shown (kept by the list: rows are rebuilt when the group changes). */
  open: boolean;
  onToggle: () => void;
  act: GroupAct;
}): JSX.Element {
  const m = () => props.member;
  const canRoles = () => props.group.can.changeRoles && !m().isSelf && m().role !== 'owner';
  const hasActions = () => canRoles() || m().canRemove;
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
            aria-expanded={props.open}
            aria-controls={`member-actions-${m().userId}`}
            aria-label={`Manage @${m().handle}`}
            onClick={() => props.onToggle()}
          >
            <Icon name="chevron" class={props.open ? 'rot90' : ''} />
          </button>
        </Show>
      </div>
      <Show when={props.open}>
        <MemberActions
          group={props.group}
          member={m()}
          canRoles={canRoles()}
          busy={props.busy}
          act={props.act}
        />
      </Show>
    </li>
  );
}

export function GroupMembers(props: {
  group: GroupView;
  busy: boolean;
  act: GroupAct;
  /** A problem with what was typed, said on the page's error line. */
  onProblem: (problem: string) => void;
}): JSX.Element {
  const [adding, setAdding] = createSignal('');
  const [expanded, setExpanded] = createSignal<string | null>(null);

  const add = (e: SubmitEvent) => {
    e.preventDefault();
    const { handles, bad } = parseHandles(adding());
    if (bad !== null) {
      props.onProblem(`“${bad}” is not a handle.`);
      return;
    }
    if (handles.length === 0) return;
    props.act(
      () => call('addGroupMembers', { conversationId: props.group.conversationId, handles }),
      () => setAdding(''),
    );
  };

  return (
    <section class="card card--list" aria-labelledby="members-title">
      <h3 id="members-title">Members</h3>
      <ul class="members" aria-labelledby="members-title">
        <For each={props.group.members}>
          {(member) => (
            <MemberRow
              group={props.group}
              member={member}
              busy={props.busy}
              open={expanded() === member.userId}
              onToggle={() => setExpanded(expanded() === member.userId ? null : member.userId)}
              act={props.act}
            />
          )}
        </For>
      </ul>
      <Show when={props.group.can.addMembers}>
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
          <button class="btn" type="submit" aria-disabled={props.busy || adding().trim() === ''}>
            <Icon name="userPlus" />
            Add
          </button>
        </form>
      </Show>
    </section>
  );
}
