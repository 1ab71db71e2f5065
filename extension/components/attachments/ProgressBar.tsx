/**
 * A labelled progress bar (role=progressbar with its values) with a Cancel
 * button, for an upload or a download.
 */
import type { JSX } from 'solid-js';
import { formatBytes, percent } from '../../lib/attachments/files.ts';
import type { Progress } from '../../lib/attachments/transfer.ts';
import { Icon } from '../Icon.tsx';

export function ProgressBar(props: {
  label: string;
  progress: Progress;
  onCancel: () => void;
}): JSX.Element {
  const value = () => percent(props.progress.done, props.progress.total);
  const text = () =>
    props.progress.total > 0
      ? `${formatBytes(props.progress.done)} of ${formatBytes(props.progress.total)}`
      : 'Starting…';
  return (
    <div class="transfer">
      <div
        class="transfer__bar"
        role="progressbar"
        aria-label={props.label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={value()}
        aria-valuetext={`${value()}%, ${text()}`}
      >
        <div class="transfer__fill" style={{ width: `${value()}%` }} />
      </div>
      <span class="transfer__text">{text()}</span>
      <button
        type="button"
        class="icon-btn icon-btn--small"
        onClick={props.onCancel}
        aria-label={`Cancel: ${props.label}`}
      >
        <Icon name="close" />
      </button>
    </div>
  );
}
