/**
 * Records a voice note in the side panel (MediaRecorder). Chrome shows no
 * permission prompt inside a side panel, so the first time the microphone is
 * refused there, Parley opens its own page in a tab where the prompt can
 * appear; once allowed for the extension it works in the panel too
 * (docs/extension.md "Attachments").
 */
import { createSignal, type JSX, onCleanup, Show } from 'solid-js';
import { formatDuration } from '../../lib/attachments/files.ts';
import type { NewTrayFile } from '../../lib/attachments/tray.ts';
import { Icon } from '../Icon.tsx';

/** Voice notes stop by themselves after this long. */
export const VOICE_MAX_MS = 10 * 60_000;

function preferredType(): string {
  for (const t of ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/webm']) {
    if (MediaRecorder.isTypeSupported(t)) return t;
  }
  return '';
}

/** Opens the side panel page in a tab, where Chrome can ask for the microphone. */
function askInTab(): void {
  const chromeApi = (globalThis as { chrome?: { runtime?: { getURL(p: string): string } } }).chrome;
  const url = chromeApi?.runtime?.getURL('/sidepanel.html?grant=microphone');
  if (url !== undefined) window.open(url, '_blank', 'noopener');
}

export function VoiceRecorder(props: {
  onRecorded: (file: NewTrayFile) => void;
  disabled?: boolean;
}): JSX.Element {
  const [recording, setRecording] = createSignal(false);
  const [elapsed, setElapsed] = createSignal(0);
  const [problem, setProblem] = createSignal<string | null>(null);
  let recorder: MediaRecorder | undefined;
  let ticker: ReturnType<typeof setInterval> | undefined;
  let startedAt = 0;

  const stopTracks = () => {
    for (const t of recorder?.stream.getTracks() ?? []) t.stop();
    if (ticker !== undefined) clearInterval(ticker);
    ticker = undefined;
  };
  onCleanup(() => {
    if (recorder?.state === 'recording') recorder.stop();
    stopTracks();
  });

  const start = async () => {
    setProblem(null);
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (e) {
      const denied = e instanceof DOMException && e.name === 'NotAllowedError';
      setProblem(
        denied
          ? 'Parley may not use the microphone yet. Allow it in the tab that opens, then record again.'
          : 'No microphone was found.',
      );
      if (denied) askInTab();
      return;
    }
    const type = preferredType();
    const chunks: Blob[] = [];
    recorder = new MediaRecorder(stream, type === '' ? {} : { mimeType: type });
    recorder.ondataavailable = (e) => {
      if (e.data.size > 0) chunks.push(e.data);
    };
    recorder.onstop = () => {
      const durationMs = Date.now() - startedAt;
      stopTracks();
      setRecording(false);
      const mime = (recorder?.mimeType || 'audio/webm').split(';')[0] ?? 'audio/webm';
      const blob = new Blob(chunks, { type: mime });
      const file = new File([blob], `voice-note.${mime.includes('ogg') ? 'ogg' : 'webm'}`, {
        type: mime,
      });
      if (file.size > 0) props.onRecorded({ file, durationMs, voice: true });
    };
    startedAt = Date.now();
    setElapsed(0);
    recorder.start(1000);
    setRecording(true);
    ticker = setInterval(() => {
      setElapsed(Date.now() - startedAt);
      if (Date.now() - startedAt >= VOICE_MAX_MS) recorder?.stop();
    }, 250);
  };

  return (
    <>
      <Show when={recording()}>
        <span class="recorder__time" role="timer" aria-live="off">
          <span class="recorder__dot" aria-hidden="true" />
          {formatDuration(elapsed())}
        </span>
      </Show>
      <button
        type="button"
        class="icon-btn"
        aria-label={recording() ? 'Stop recording and add the voice note' : 'Record a voice note'}
        aria-pressed={recording()}
        disabled={props.disabled}
        onClick={() => (recording() ? recorder?.stop() : void start())}
      >
        <Icon name={recording() ? 'stop' : 'mic'} />
      </button>
      <Show when={problem()}>
        <p class="composer__error recorder__problem" role="alert">
          {problem()}
        </p>
      </Show>
    </>
  );
}
