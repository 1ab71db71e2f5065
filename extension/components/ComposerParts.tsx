/**
 * The composer's smaller parts: the character counter with the over-limit
 * sentence, the Attach button with its hidden file picker, and the handlers
 * that make the composer area a drop target for files.
 */
import { createEffect, createSignal, type JSX, on, Show } from 'solid-js';
import type { TextLimitState } from '../lib/text-limit.ts';
import { Icon } from './Icon.tsx';

export function LimitNotice(props: { limit: TextLimitState }): JSX.Element {
  return (
    <Show when={props.limit.counter}>
      {(counter) => (
        <div class="composer__meta" data-zone={props.limit.zone}>
          <Show when={props.limit.zone === 'over'}>
            <p id="composer-limit" class="composer__limit">
              {props.limit.message}
            </p>
          </Show>
          <span class="composer__count" aria-hidden="true" title="Characters used / limit">
            {counter()}
          </span>
        </div>
      )}
    </Show>
  );
}

export function AttachButton(props: {
  disabled: boolean | undefined;
  onFiles: (files: FileList | null) => void;
}): JSX.Element {
  let picker: HTMLInputElement | undefined;
  return (
    <>
      <input
        ref={picker}
        class="sr-only"
        type="file"
        multiple
        tabIndex={-1}
        aria-hidden="true"
        onChange={(e) => {
          props.onFiles(e.currentTarget.files);
          e.currentTarget.value = '';
        }}
      />
      <button
        type="button"
        class="icon-btn"
        aria-label="Attach files"
        disabled={props.disabled}
        onClick={() => picker?.click()}
      >
        <Icon name="paperclip" />
      </button>
    </>
  );
}

/** Drag-and-drop handlers for the composer area: `setDragging` drives the drop hint. */
export function fileDropHandlers(
  setDragging: (dragging: boolean) => void,
  onFiles: (files: FileList) => void,
) {
  return {
    onDragOver: (e: DragEvent) => {
      if (!e.dataTransfer?.types.includes('Files')) return;
      e.preventDefault();
      setDragging(true);
    },
    onDragLeave: (e: DragEvent & { currentTarget: HTMLElement }) => {
      if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDragging(false);
    },
    onDrop: (e: DragEvent) => {
      if (e.dataTransfer === null || e.dataTransfer.files.length === 0) return;
      e.preventDefault();
      setDragging(false);
      onFiles(e.dataTransfer.files);
    },
  };
}

/** The hint shown over the composer while files are dragged over it (fileDropHandlers). */
export function DropHint(props: { dragging: boolean }): JSX.Element {
  return (
    <Show when={props.dragging}>
      <p class="composer__drop" aria-hidden="true">
        Drop files to attach them
      </p>
    </Show>
  );
}

/** A pasted file (an image from the clipboard) is attached, not pasted as text. */
export function pasteFiles(onFiles: (files: FileList) => void) {
  return (e: ClipboardEvent) => {
    const files = e.clipboardData?.files;
    if (files === undefined || files.length === 0) return;
    e.preventDefault();
    onFiles(files);
  };
}

/** Grows a text field with its text, up to `maxPx`. */
export function growToFit(field: HTMLTextAreaElement | undefined, maxPx = 160): void {
  if (field === undefined) return;
  field.style.height = 'auto';
  field.style.height = `${Math.min(field.scrollHeight + 2, maxPx)}px`;
}

/**
 * What the polite live region says: set only when the limit's zone changes
 * (and when a send is refused), so a screen reader is not told every keystroke.
 */
export function createLimitAnnouncer(limit: () => TextLimitState) {
  const [announcement, setAnnouncement] = createSignal('');
  createEffect(
    on(
      () => limit().zone,
      (zone) => setAnnouncement(zone === 'ok' ? '' : (limit().message ?? '')),
      { defer: true },
    ),
  );
  return [announcement, setAnnouncement] as const;
}
