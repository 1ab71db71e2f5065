/**
 * Stands in for lib/attachments/transfer.ts in the UI preview: no relay, no
 * crypto. Uploads count up over about two seconds; downloads make the file
 * in the page (an image of the pointer's size drawn on a canvas, a silent
 * WAV for voice notes, bytes for the rest). Attachment ids steer it:
 * `slow-…` downloads stop at 40 % until cancelled, `expired-…` downloads
 * fail as an expired file would. A resumed upload continues from 40 %.
 */
import type {
  DownloadInput,
  ResumeFileInput,
  SendFileInput,
} from '../../lib/attachments/transfer.ts';

export type {
  DownloadInput,
  OutgoingFile,
  Progress,
  ResumeFileInput,
  SendFileInput,
} from '../../lib/attachments/transfer.ts';

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new DOMException('Cancelled', 'AbortError'));
    });
  });
}

export async function sendFile(input: SendFileInput): Promise<void> {
  const total = input.item.file.size;
  for (let step = 1; step <= 10; step++) {
    await wait(200, input.signal);
    input.onProgress({ done: Math.round((total * step) / 10), total });
  }
}

/** A paused upload continues from 40 % (what the relay had) over about a second. */
export async function resumeFile(input: ResumeFileInput): Promise<void> {
  const total = input.upload.size;
  for (let step = 4; step <= 10; step++) {
    input.onProgress({ done: Math.round((total * step) / 10), total });
    await wait(200, input.signal);
  }
}

async function image(width: number, height: number): Promise<Blob> {
  const canvas = new OffscreenCanvas(width, height);
  const g = canvas.getContext('2d');
  if (g !== null) {
    const sky = g.createLinearGradient(0, 0, 0, height);
    sky.addColorStop(0, '#7fb2e5');
    sky.addColorStop(1, '#f3d9b1');
    g.fillStyle = sky;
    g.fillRect(0, 0, width, height);
    g.fillStyle = '#3d5a45';
    g.beginPath();
    g.moveTo(0, height);
    g.lineTo(width * 0.35, height * 0.35);
    g.lineTo(width * 0.6, height * 0.6);
    g.lineTo(width * 0.8, height * 0.45);
    g.lineTo(width, height);
    g.fill();
  }
  return canvas.convertToBlob({ type: 'image/png' });
}

function silentWav(seconds: number): Blob {
  const rate = 8000;
  const samples = rate * seconds;
  const view = new DataView(new ArrayBuffer(44 + samples));
  const text = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) view.setUint8(at + i, s.charCodeAt(i));
  };
  text(0, 'RIFF');
  view.setUint32(4, 36 + samples, true);
  text(8, 'WAVEfmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, rate, true);
  view.setUint32(28, rate, true);
  view.setUint16(32, 1, true);
  view.setUint16(34, 8, true);
  text(36, 'data');
  view.setUint32(40, samples, true);
  for (let i = 0; i < samples; i++) view.setUint8(44 + i, 128);
  return new Blob([view.buffer], { type: 'audio/wav' });
}

export async function downloadFile(input: DownloadInput): Promise<Blob> {
  const a = input.attachment;
  input.onProgress({ done: 0, total: a.size });
  if (a.id.startsWith('expired-')) {
    await wait(300, input.signal);
    throw Object.assign(new Error('expired'), { code: 'ATTACHMENT_EXPIRED' });
  }
  if (a.id.startsWith('slow-')) {
    input.onProgress({ done: Math.round(a.size * 0.4), total: a.size });
    await wait(3_600_000, input.signal);
  }
  await wait(400, input.signal);
  input.onProgress({ done: a.size, total: a.size });
  if (a.mime.startsWith('image/')) return image(a.width ?? 320, a.height ?? 240);
  if (a.voice) return silentWav(Math.max(1, Math.round((a.durationMs ?? 1000) / 1000)));
  return new Blob([new Uint8Array(Math.min(a.size, 4096))], { type: a.mime });
}
