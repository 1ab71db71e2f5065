/**
 * The side panel page opened in a tab (`?grant=microphone`) to ask for the
 * microphone: Chrome shows no permission prompt inside the side panel, but a
 * grant made here belongs to the extension's origin and so holds there too.
 */
import { createSignal, type JSX, onMount } from 'solid-js';

export function MicrophoneGrant(): JSX.Element {
  const [state, setState] = createSignal<'asking' | 'allowed' | 'refused'>('asking');
  onMount(async () => {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      for (const track of stream.getTracks()) track.stop();
      setState('allowed');
    } catch {
      setState('refused');
    }
  });
  return (
    <main class="view grant">
      <h1>Microphone for voice notes</h1>
      <p role="status">
        {state() === 'asking'
          ? 'Chrome is asking whether Parley may use the microphone.'
          : state() === 'allowed'
            ? 'Allowed. Close this tab and record your voice note in the side panel.'
            : 'Not allowed. You can change this in Chrome’s site settings for Parley.'}
      </p>
    </main>
  );
}
