/**
 * An image at full size in a modal dialog (the native <dialog>: focus moves
 * into it, Escape closes it, the rest of the page is inert) and focus goes
 * back to the thumbnail that opened it.
 */
import { type JSX, onMount } from 'solid-js';
import { Icon } from '../Icon.tsx';

export function Lightbox(props: {
  src: string;
  alt: string;
  onClose: () => void;
  /** Where focus returns when the dialog closes. */
  opener: HTMLElement | undefined;
}): JSX.Element {
  let dialog: HTMLDialogElement | undefined;
  onMount(() => dialog?.showModal());
  return (
    <dialog
      ref={dialog}
      class="lightbox"
      aria-label={props.alt}
      onClose={() => {
        props.onClose();
        // After the dialog is gone (its own focus restore may land on the body).
        setTimeout(() => props.opener?.focus(), 0);
      }}
      onClick={(e) => {
        if (e.target === dialog) dialog?.close();
      }}
      onKeyDown={(e) => {
        // The dialog closes itself on Escape; the page must not also go back (leaving the chat).
        if (e.key === 'Escape') e.stopPropagation();
      }}
    >
      <img class="lightbox__image" src={props.src} alt={props.alt} />
      <button
        type="button"
        class="icon-btn lightbox__close"
        aria-label="Close image"
        onClick={() => dialog?.close()}
        autofocus
      >
        <Icon name="close" />
      </button>
    </dialog>
  );
}
