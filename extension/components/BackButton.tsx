/** The back arrow at the start of a page's header, named for where it leads. */
import type { JSX } from 'solid-js';
import { Icon } from './Icon.tsx';

export function BackButton(props: { label: string; onBack: () => void }): JSX.Element {
  return (
    <button
      type="button"
      class="icon-btn"
      onClick={() => props.onBack()}
      aria-label={props.label}
      data-view-fallback
    >
      <Icon name="back" />
    </button>
  );
}
