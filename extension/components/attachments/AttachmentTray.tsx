/**
 * The files waiting above the composer: a preview (images) or type label,
 * name and size, a caption field, and Remove; while sending a progress bar
 * with Cancel; after a failure the reason and Retry; a file that cannot be
 * sent says why (too large, blocked type). Uploads a closed page left
 * unfinished come first, paused (PausedUploadRow.tsx).
 */
import { createMemo, For, type JSX, onCleanup, Show } from 'solid-js';
import { formatBytes, formatDuration, kindOf, typeLabel } from '../../lib/attachments/files.ts';
import type { Tray, TrayItem } from '../../lib/attachments/tray.ts';
import { Icon } from '../Icon.tsx';
import { PausedUploadRow } from './PausedUploadRow.tsx';
import { ProgressBar } from './ProgressBar.tsx';

function Preview(props: { item: TrayItem }): JSX.Element {
  const image = () => kindOf({ mime: props.item.file.type }) === 'image';
  const url = createMemo(() => (image() ? URL.createObjectURL(props.item.file) : null));
  onCleanup(() => {
    const u = url();
    if (u !== null) URL.revokeObjectURL(u);
  });
  return (
    <Show
      when={url()}
      fallback={
        <span class="tray__type" aria-hidden="true">
          <Icon name={props.item.voice ? 'mic' : 'file'} />
          <span>{typeLabel(props.item.file.name, props.item.file.type)}</span>
        </span>
      }
    >
      {(u) => <img class="tray__preview" src={u()} alt="" />}
    </Show>
  );
}

function TrayRow(props: { item: TrayItem; tray: Tray }): JSX.Element {
  const item = () => props.item;
  const name = () => (item().voice ? 'Voice note' : item().file.name);
  const size = () =>
    item().durationMs === undefined
      ? formatBytes(item().file.size)
      : `${formatDuration(item().durationMs ?? 0)} · ${formatBytes(item().file.size)}`;
  return (
    <li class="tray__item" data-status={item().status} data-problem={item().problem?.code}>
      <Preview item={item()} />
      <div class="tray__body">
        <div class="tray__name">
          <span class="tray__filename">{name()}</span>
          <span class="tray__size">{size()}</span>
        </div>
        <Show
          when={item().problem}
          fallback={
            <input
              class="input tray__caption"
              type="text"
              maxLength={16_384}
              placeholder="Add a caption"
              aria-label={`Caption for ${name()}`}
              value={item().caption}
              disabled={item().status === 'sending'}
              onInput={(e) => props.tray.setCaption(item().key, e.currentTarget.value)}
            />
          }
        >
          {(problem) => (
            <p class="tray__problem" role="alert">
              <Icon name="alert" /> {problem().message}
            </p>
          )}
        </Show>
        <Show when={item().status === 'sending' ? item().progress : undefined}>
          {(p) => (
            <ProgressBar
              label={`Uploading ${name()}`}
              progress={p()}
              onCancel={() => props.tray.cancel(item().key)}
            />
          )}
        </Show>
        <Show when={item().status === 'failed'}>
          <p class="tray__problem" role="alert">
            <Icon name="alert" /> Not sent: {item().error}
            <button
              type="button"
              class="btn btn--small"
              onClick={() => props.tray.retry(item().key)}
            >
              <Icon name="retry" /> Retry
            </button>
          </p>
        </Show>
      </div>
      <button
        type="button"
        class="icon-btn icon-btn--small"
        aria-label={`Remove ${name()}`}
        onClick={() => props.tray.remove(item().key)}
      >
        <Icon name="close" />
      </button>
    </li>
  );
}

export function AttachmentTray(props: { tray: Tray }): JSX.Element {
  const paused = () => props.tray.paused.list();
  return (
    <Show when={props.tray.items().length > 0 || paused().length > 0}>
      <ul class="tray" aria-label="Files to send">
        <For each={paused()}>
          {(p) => <PausedUploadRow paused={p} uploads={props.tray.paused} />}
        </For>
        <For each={props.tray.items()}>{(item) => <TrayRow item={item} tray={props.tray} />}</For>
      </ul>
    </Show>
  );
}
