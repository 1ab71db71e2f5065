/**
 * A voice note: Play/Pause, the time played and the length. The note is
 * downloaded (and decrypted) on the first Play.
 */
import { createSignal, type JSX, Show } from 'solid-js';
import { formatDuration } from '../../lib/attachments/files.ts';
import { createDownload, progressOf } from '../../lib/attachments/use-transfer.ts';
import type { AttachmentView } from '../../lib/protocol.ts';
import { Icon } from '../Icon.tsx';
import { ProgressBar } from './ProgressBar.tsx';
import { Failure } from './TransferFailure.tsx';

export function VoicePlayer(props: { attachment: AttachmentView }): JSX.Element {
  const download = createDownload(() => props.attachment);
  const [playing, setPlaying] = createSignal(false);
  const [position, setPosition] = createSignal(0);
  const [length, setLength] = createSignal(props.attachment.durationMs ?? 0);
  const [playError, setPlayError] = createSignal<string | null>(null);
  let audio: HTMLAudioElement | undefined;

  const toggle = async () => {
    if (audio === undefined) return;
    if (playing()) {
      audio.pause();
      return;
    }
    if (download.url() === null) {
      const url = await download.start();
      if (url === undefined) return;
      audio.src = url;
    }
    try {
      await audio.play();
      setPlayError(null);
    } catch (e) {
      setPlayError(
        `This voice note cannot be played here (${e instanceof Error ? e.name : 'error'}).`,
      );
    }
  };

  return (
    <div class="attachment attachment--voice">
      <div class="voice">
        <button
          type="button"
          class="icon-btn voice__play"
          aria-label={playing() ? 'Pause voice note' : 'Play voice note'}
          onClick={() => void toggle()}
          disabled={download.state().phase === 'running'}
        >
          <Icon name={playing() ? 'pause' : 'play'} />
        </button>
        <span class="voice__time">
          {formatDuration(position())} / {formatDuration(length())}
        </span>
        {/* biome-ignore lint/a11y/useMediaCaption: a voice note has no caption track; the controls above are the player. */}
        <audio
          ref={audio}
          preload="none"
          onPlay={() => setPlaying(true)}
          onPause={() => setPlaying(false)}
          onEnded={() => {
            setPlaying(false);
            setPosition(0);
          }}
          onTimeUpdate={(e) => setPosition(e.currentTarget.currentTime * 1000)}
          onLoadedMetadata={(e) => {
            const d = e.currentTarget.duration;
            if (Number.isFinite(d)) setLength(d * 1000);
          }}
        />
      </div>
      <Show when={progressOf(download.state())}>
        {(s) => (
          <ProgressBar label="Downloading voice note" progress={s()} onCancel={download.cancel} />
        )}
      </Show>
      <Failure state={download.state()} onRetry={() => void toggle()} />
      <Show when={playError()}>
        <p class="attachment__error" role="alert">
          {playError()}
        </p>
      </Show>
    </div>
  );
}
