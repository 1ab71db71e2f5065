/** The top of the group page: its avatar and name (renamed in place by admins), member count. */
import { createSignal, type JSX, Show } from 'solid-js';
import { focusSoon } from '../lib/focus.ts';
import { membersLabel } from '../lib/format.ts';
import { GROUP_NAME_MAX_CHARS, type GroupView } from '../lib/protocol.ts';
import { call } from '../lib/rpc-client.ts';
import { Avatar } from './Avatar.tsx';
import type { GroupAct } from './GroupMembers.tsx';
import { Icon } from './Icon.tsx';

export function GroupHero(props: { group: GroupView; busy: boolean; act: GroupAct }): JSX.Element {
  const [renaming, setRenaming] = createSignal(false);
  const [newName, setNewName] = createSignal('');
  const g = () => props.group;
  /** Closes the form; focus goes back to the pencil that opened it (the form is gone). */
  const stopRenaming = () => {
    setRenaming(false);
    focusSoon(() => document.querySelector<HTMLElement>('[data-opens="rename"]'));
  };

  const rename = (e: SubmitEvent) => {
    e.preventDefault();
    const name = newName().trim();
    if (name === '') return;
    props.act(
      () => call('renameGroup', { conversationId: g().conversationId, name }),
      stopRenaming,
    );
  };

  return (
    <div class="contact-hero">
      <Avatar name={g().name} size="lg" group />
      <Show
        when={renaming()}
        fallback={
          <h2 class="hero-name" tabindex="-1" data-view-heading>
            {g().name}
            <Show when={g().can.rename}>
              <button
                type="button"
                class="icon-btn icon-btn--sm"
                aria-label="Rename group"
                data-opens="rename"
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
              if (e.key !== 'Escape') return;
              e.preventDefault();
              stopRenaming();
            }}
          />
          <button class="btn btn--primary" type="submit" aria-disabled={props.busy}>
            Save
          </button>
          <button type="button" class="btn" onClick={stopRenaming}>
            Cancel
          </button>
        </form>
      </Show>
      <span class="hero-sub">
        {membersLabel(g().members.length)}
        {g().myRole === null ? ' · you are not a member' : ''}
      </span>
    </div>
  );
}
