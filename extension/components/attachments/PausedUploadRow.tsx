/**
 * One upload a closed page or a restarted browser left unfinished: "Upload
 * paused", the file's name and size, Resume (the page lost the file, so the
 * person picks it again; a different file is refused with the reason) and
 * Discard; while resuming a progress bar with Cancel. docs/extension.md
 * "Attachments".
 */
import { type JSX, Show } from 'solid-js';
import { formatBytes } from '../../lib/attachments/files.ts';
import type { PausedUpload, PausedUploads } from '../../lib/attachments/paused-uploads.ts';
import { Icon } from '../Icon.tsx';
import { ProgressBar } from './ProgressBar.tsx';

export function PausedUploadRow(props: {
  paused: PausedUpload;
  uploads: PausedUploads;
}): JSX.Element {
  const upload = () => props.paused.upload;
  let picker: HTMLInputElement | undefined;
  const picked = (input: HTMLInputElement) => {
    const file = input.files?.[0];
    input.value = ''; // the same file can be picked again after a refusal
    if (file !== undefined) void props.uploads.resume(upload().id, file);
  };
  return (
    <li class="tray__item tray__item--paused" data-status={props.paused.status}>
      <span class="tray__type" aria-hidden="true">
        <Icon name="file" />
      </span>
      <div class="tray__body">
        <div class="tray__name">
          <span class="tray__filename">{upload().name}</span>
          <span class="tray__size">{formatBytes(upload().size)}</span>
        </div>
        <Show
          when={props.paused.status === 'resuming' ? props.paused.progress : undefined}
          fallback={
            <p class="tray__paused">
              <strong>Upload paused.</strong> To continue where it stopped, choose {upload().name}{' '}
              again.{' '}
              <button type="button" class="btn btn--small" onClick={() => picker?.click()}>
                <Icon name="retry" /> Resume
              </button>
              <input
                ref={picker}
                type="file"
                hidden
                aria-label={`Choose ${upload().name} to resume its upload`}
                onChange={(e) => picked(e.currentTarget)}
              />
            </p>
          }
        >
          {(p) => (
            <ProgressBar
              label={`Uploading ${upload().name}`}
              progress={p()}
              onCancel={() => props.uploads.cancel(upload().id)}
            />
          )}
        </Show>
        <Show when={props.paused.error}>
          {(error) => (
            <p class="tray__problem" role="alert">
              <Icon name="alert" /> {error()}
            </p>
          )}
        </Show>
      </div>
      <button
        type="button"
        class="icon-btn icon-btn--small"
        aria-label={`Discard the paused upload of ${upload().name}`}
        onClick={() => void props.uploads.discard(upload().id)}
      >
        <Icon name="close" />
      </button>
    </li>
  );
}
