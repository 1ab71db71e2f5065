/**
 * A file in a message: images inline (a box of the right aspect ratio while
 * they load, showing the sender's tiny preview blurred when the pointer has one, the full image in a lightbox on click), voice notes as a player,
 * everything else as a card with name, size, type, Download and Save as.
 * Downloads show progress with Cancel, failures a sentence with Retry, an
 * expired file says so. docs/extension.md "Attachments".
 */
import { createSignal, type JSX, Match, onMount, Show, Switch } from 'solid-js';
import {
  formatBytes,
  isBlocked,
  isProgram,
  kindOf,
  typeLabel,
} from '../../lib/attachments/files.ts';
import { thumbUrl } from '../../lib/attachments/thumbnail.ts';
import { createDownload, progressOf } from '../../lib/attachments/use-transfer.ts';
import type { AttachmentView } from '../../lib/protocol.ts';
import { Icon } from '../Icon.tsx';
import { Lightbox } from './Lightbox.tsx';
import { ProgressBar } from './ProgressBar.tsx';
import { Failure } from './TransferFailure.tsx';
import { VoicePlayer } from './VoicePlayer.tsx';

/** Images up to this size download by themselves when shown; larger ones wait for a click. */
const AUTO_DOWNLOAD_BYTES = 25 * 1024 * 1024;

function nameOf(a: AttachmentView): string {
  return a.name ?? (a.voice ? 'Voice note' : 'file');
}

function InlineImage(props: { attachment: AttachmentView }): JSX.Element {
  const a = () => props.attachment;
  const download = createDownload(a);
  const [open, setOpen] = createSignal(false);
  let opener: HTMLButtonElement | undefined;
  const ratio = () =>
    a().width !== undefined && a().height !== undefined ? `${a().width} / ${a().height}` : '4 / 3';
  onMount(() => {
    if (a().size <= AUTO_DOWNLOAD_BYTES) void download.start();
  });
  const alt = () => `Image: ${nameOf(a())}`;
  return (
    <figure class="attachment attachment--image">
      <Show
        when={download.url()}
        fallback={
          <div class="attachment__placeholder" style={{ 'aspect-ratio': ratio() }}>
            {/* Text, not role=img: the box holds Load image and Cancel (an img's content is not interactive). */}
            <span class="sr-only">{`${alt()}, loading`}</span>
            <Show when={a().thumb}>
              {(thumb) => <img class="attachment__preview" src={thumbUrl(thumb())} alt="" />}
            </Show>
            <Switch>
              <Match when={progressOf(download.state())}>
                {(s) => (
                  <ProgressBar
                    label={`Downloading ${nameOf(a())}`}
                    progress={s()}
                    onCancel={download.cancel}
                  />
                )}
              </Match>
              <Match when={download.state().phase === 'idle'}>
                <button type="button" class="btn btn--small" onClick={() => void download.start()}>
                  <Icon name="download" /> Load image ({formatBytes(a().size)})
                </button>
              </Match>
            </Switch>
          </div>
        }
      >
        {(url) => (
          <button
            type="button"
            class="attachment__thumb"
            ref={opener}
            aria-label={`Open ${alt()}`}
            onClick={() => setOpen(true)}
            style={{ 'aspect-ratio': ratio() }}
          >
            <img src={url()} alt={alt()} />
          </button>
        )}
      </Show>
      <Failure state={download.state()} onRetry={() => void download.start()} />
      <Show when={open() ? download.url() : null}>
        {(url) => (
          <Lightbox src={url()} alt={alt()} opener={opener} onClose={() => setOpen(false)} />
        )}
      </Show>
    </figure>
  );
}

/** Saves a blob URL under a name: chrome.downloads when there (Save as asks where), else <a download>. */
function save(url: string, filename: string, saveAs: boolean): void {
  const downloads = (globalThis as { chrome?: { downloads?: { download: (o: object) => void } } })
    .chrome?.downloads;
  if (downloads !== undefined) {
    downloads.download({ url, filename, saveAs });
    return;
  }
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.click();
}

function FileCard(props: { attachment: AttachmentView }): JSX.Element {
  const a = () => props.attachment;
  const download = createDownload(a);
  const blocked = () => isBlocked(nameOf(a()));
  const fetchAndSave = async (saveAs: boolean) => {
    const url = download.url() ?? (await download.start());
    if (url !== undefined && url !== null) save(url, nameOf(a()), saveAs);
  };
  return (
    <div class="attachment attachment--file">
      <div class="file-card">
        <span class="file-card__icon" aria-hidden="true">
          <Icon name="file" />
          <span class="file-card__type">{typeLabel(nameOf(a()), a().mime)}</span>
        </span>
        <span class="file-card__text">
          <span class="file-card__name">{nameOf(a())}</span>
          <span class="file-card__size">
            {formatBytes(a().size)} · {a().mime}
          </span>
        </span>
        <Show when={!blocked() && download.state().phase !== 'running'}>
          <button
            type="button"
            class="icon-btn"
            aria-label={`Download ${nameOf(a())}`}
            onClick={() => void fetchAndSave(false)}
          >
            <Icon name="download" />
          </button>
          <button
            type="button"
            class="icon-btn"
            aria-label={`Save ${nameOf(a())} as…`}
            onClick={() => void fetchAndSave(true)}
          >
            <Icon name="saveAs" />
          </button>
        </Show>
      </div>
      <Show when={blocked()}>
        <p class="attachment__warning">
          <Icon name="ban" /> Parley does not open or save this type of file: it runs when opened.
        </p>
      </Show>
      <Show when={!blocked() && isProgram(nameOf(a()))}>
        <p class="attachment__warning">
          <Icon name="alert" /> This is a program. Run it only if you trust who sent it.
        </p>
      </Show>
      <Show when={progressOf(download.state())}>
        {(s) => (
          <ProgressBar
            label={`Downloading ${nameOf(a())}`}
            progress={s()}
            onCancel={download.cancel}
          />
        )}
      </Show>
      <Failure state={download.state()} onRetry={() => void fetchAndSave(false)} />
    </div>
  );
}

export function MessageAttachment(props: { attachment: AttachmentView }): JSX.Element {
  return (
    <Switch fallback={<FileCard attachment={props.attachment} />}>
      <Match when={kindOf(props.attachment) === 'image'}>
        <InlineImage attachment={props.attachment} />
      </Match>
      <Match when={kindOf(props.attachment) === 'voice'}>
        <VoicePlayer attachment={props.attachment} />
      </Match>
    </Switch>
  );
}
