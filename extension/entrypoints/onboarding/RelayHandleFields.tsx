/**
 * The relay's address and the handle, as onboarding asks for them: on the
 * register form (AccountStep.tsx) each with its hint or error, and on the
 * restore form (RestoreFlow.tsx) bare. Ids and labels come from the form
 * (the E2E specs find the fields by label); the handle field carries the
 * "@" prefix in both.
 */
import { type JSX, Show } from 'solid-js';
import { describedBy, HintOrError, invalid } from '../../components/HintOrError.tsx';

/** A field's hint and error (HintOrError), under id `${noteId}-hint` / `${noteId}-error`. */
export interface FieldNote {
  readonly noteId: string;
  readonly hint: string;
  readonly error: string | null;
}

export interface RelayField {
  readonly id: string;
  readonly value: string;
  readonly onInput: (value: string) => void;
  readonly autocomplete?: 'url';
  readonly note?: FieldNote;
}

export interface HandleField {
  readonly id: string;
  readonly label: string;
  readonly value: string;
  readonly onInput: (value: string) => void;
  readonly placeholder?: string;
  /** Where focus lands when the form appears (lib/focus.ts). */
  readonly autofocus?: boolean;
  readonly note?: FieldNote;
}

function Note(props: { note: FieldNote | undefined }): JSX.Element {
  return (
    <Show when={props.note}>
      {(note) => (
        <HintOrError id={note().noteId} error={note().error}>
          {note().hint}
        </HintOrError>
      )}
    </Show>
  );
}

const describedByNote = (note: FieldNote | undefined) =>
  note === undefined ? undefined : describedBy(note.noteId, note.error);

export function RelayHandleFields(props: { relay: RelayField; handle: HandleField }): JSX.Element {
  return (
    <>
      <div class="field">
        <label class="field__label" for={props.relay.id}>
          Relay
        </label>
        <input
          id={props.relay.id}
          class="input"
          type="url"
          inputmode="url"
          autocomplete={props.relay.autocomplete}
          spellcheck={false}
          value={props.relay.value}
          aria-invalid={props.relay.note && invalid(props.relay.note.error)}
          aria-describedby={describedByNote(props.relay.note)}
          onInput={(e) => props.relay.onInput(e.currentTarget.value)}
        />
        <Note note={props.relay.note} />
      </div>
      <div class="field">
        <label class="field__label" for={props.handle.id}>
          {props.handle.label}
        </label>
        <div class="input-prefix">
          <span aria-hidden="true">@</span>
          <input
            id={props.handle.id}
            class="input"
            autocomplete="username"
            autocapitalize="none"
            spellcheck={false}
            placeholder={props.handle.placeholder}
            value={props.handle.value}
            aria-invalid={props.handle.note && invalid(props.handle.note.error)}
            aria-describedby={describedByNote(props.handle.note)}
            onInput={(e) => props.handle.onInput(e.currentTarget.value)}
            data-autofocus={props.handle.autofocus === true ? '' : undefined}
          />
        </div>
        <Note note={props.handle.note} />
      </div>
    </>
  );
}
