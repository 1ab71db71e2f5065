/**
 * "Start a chat with @handle", or "New group": a name and the handles of the
 * people to add. One form at a time, errors said plainly (a wrong handle is
 * named), focus where it belongs, Escape closes.
 */
import { createSignal, type JSX, Match, onMount, Show, Switch } from 'solid-js';
import { describeError } from '../lib/errors.ts';
import { canonicalHandle, HANDLE_RULE, handleProblem, parseHandles } from '../lib/handles.ts';
import { GROUP_NAME_MAX_CHARS, MEMBERS_MAX_PER_REQUEST } from '../lib/protocol.ts';
import { call } from '../lib/rpc-client.ts';

type Mode = 'chat' | 'group';

/** "Start a chat with @handle". */
function ChatForm(props: {
  handle: string;
  onHandle: (handle: string) => void;
  invalid: boolean;
  busy: boolean;
  onSubmit: (e: SubmitEvent) => void;
  inputRef: (el: HTMLInputElement) => void;
}): JSX.Element {
  return (
    <form onSubmit={(e) => props.onSubmit(e)} aria-label="Start a chat">
      <label class="sr-only" for="start-chat-handle">
        Handle
      </label>
      <div class="input-prefix" style={{ flex: '1' }}>
        <span aria-hidden="true">@</span>
        <input
          id="start-chat-handle"
          ref={props.inputRef}
          class="input"
          placeholder="handle"
          autocomplete="off"
          spellcheck={false}
          value={props.handle}
          aria-invalid={props.invalid ? 'true' : undefined}
          aria-describedby={props.invalid ? 'start-chat-error' : undefined}
          onInput={(e) => props.onHandle(e.currentTarget.value)}
        />
      </div>
      <button
        class="btn btn--primary"
        type="submit"
        disabled={props.busy || props.handle.trim() === ''}
      >
        {props.busy ? 'Finding…' : 'Chat'}
      </button>
    </form>
  );
}

/** "New group": its name and the handles of the people to add. */
function GroupForm(props: {
  name: string;
  onName: (name: string) => void;
  members: string;
  onMembers: (members: string) => void;
  invalid: boolean;
  busy: boolean;
  onSubmit: (e: SubmitEvent) => void;
  inputRef: (el: HTMLInputElement) => void;
}): JSX.Element {
  return (
    <form class="start-chat__group" onSubmit={(e) => props.onSubmit(e)} aria-label="New group">
      <label class="sr-only" for="new-group-name">
        Group name
      </label>
      <input
        id="new-group-name"
        ref={props.inputRef}
        class="input"
        placeholder="Group name"
        autocomplete="off"
        maxLength={GROUP_NAME_MAX_CHARS}
        value={props.name}
        onInput={(e) => props.onName(e.currentTarget.value)}
      />
      <label class="sr-only" for="new-group-members">
        Members
      </label>
      <div class="start-chat__row">
        <input
          id="new-group-members"
          class="input"
          placeholder="Members: @bob, @carol"
          autocomplete="off"
          spellcheck={false}
          value={props.members}
          aria-invalid={props.invalid ? 'true' : undefined}
          aria-describedby={props.invalid ? 'start-chat-error' : undefined}
          onInput={(e) => props.onMembers(e.currentTarget.value)}
        />
        <button
          class="btn btn--primary"
          type="submit"
          disabled={props.busy || props.name.trim() === '' || props.members.trim() === ''}
        >
          {props.busy ? 'Creating…' : 'Create'}
        </button>
      </div>
    </form>
  );
}

export function StartChat(props: {
  onStarted: (conversationId: string) => void;
  onCancel: () => void;
  /** Open on the group form (the "New group" entry point). */
  initialMode?: Mode;
}): JSX.Element {
  const [mode, setMode] = createSignal<Mode>(props.initialMode ?? 'chat');
  const [handle, setHandle] = createSignal('');
  const [name, setName] = createSignal('');
  const [members, setMembers] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  let first: HTMLInputElement | undefined;
  onMount(() => first?.focus());

  const switchTo = (next: Mode) => {
    setMode(next);
    setError(null);
    queueMicrotask(() => first?.focus());
  };

  const run = async (action: () => Promise<string>) => {
    setBusy(true);
    setError(null);
    try {
      props.onStarted(await action());
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  const submitChat = (e: SubmitEvent) => {
    e.preventDefault();
    const h = canonicalHandle(handle());
    if (h === null) {
      setError(handleProblem(handle()));
      return;
    }
    void run(async () => (await call('startConversation', { handle: h })).id);
  };

  const submitGroup = (e: SubmitEvent) => {
    e.preventDefault();
    const groupName = name().trim();
    if (groupName === '') {
      setError('Give the group a name.');
      return;
    }
    const { handles, bad } = parseHandles(members());
    if (bad !== null) {
      setError(`“${bad}” is not a handle. Handles are ${HANDLE_RULE}.`);
      return;
    }
    if (handles.length === 0) {
      setError('Add at least one person by their handle.');
      return;
    }
    if (handles.length > MEMBERS_MAX_PER_REQUEST) {
      setError(`A group has at most ${MEMBERS_MAX_PER_REQUEST + 1} members.`);
      return;
    }
    void run(async () => (await call('createGroup', { name: groupName, members: handles })).id);
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key !== 'Escape') return;
    // Handled here: the page's own Escape (back) must not also act.
    e.preventDefault();
    props.onCancel();
  };

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: Escape anywhere in the panel closes it.
    <div class="start-chat" onKeyDown={onKeyDown}>
      <fieldset class="segmented">
        <legend class="sr-only">Start a chat with</legend>
        <button type="button" aria-pressed={mode() === 'chat'} onClick={() => switchTo('chat')}>
          Person
        </button>
        <button type="button" aria-pressed={mode() === 'group'} onClick={() => switchTo('group')}>
          Group
        </button>
      </fieldset>
      <Switch>
        <Match when={mode() === 'chat'}>
          <ChatForm
            handle={handle()}
            onHandle={setHandle}
            invalid={error() !== null}
            busy={busy()}
            onSubmit={submitChat}
            inputRef={(el) => {
              first = el;
            }}
          />
        </Match>
        <Match when={mode() === 'group'}>
          <GroupForm
            name={name()}
            onName={setName}
            members={members()}
            onMembers={setMembers}
            invalid={error() !== null}
            busy={busy()}
            onSubmit={submitGroup}
            inputRef={(el) => {
              first = el;
            }}
          />
        </Match>
      </Switch>
      <Show when={error()}>
        <p id="start-chat-error" class="field__error" role="alert">
          {error()}
        </p>
      </Show>
    </div>
  );
}
