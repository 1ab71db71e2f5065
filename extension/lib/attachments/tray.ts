/**
 * The composer's tray: files chosen (attach button, drop, paste, a recorded
 * voice note), each with its caption; Send uploads them one by one, each as
 * its own message with its caption. An item shows its progress (Cancel), a
 * failure (Retry), or why it cannot be sent at all (too large, blocked type).
 * Uploads a closed page left unfinished show as paused (paused-uploads.ts).
 *
 * Runs in: extension pages.
 */
import { createSignal } from 'solid-js';
import { describeError } from '../errors.ts';
import { type FileProblem, problemOf } from './files.ts';
import { createPausedUploads } from './paused-uploads.ts';
import { imageFacts } from './thumbnail.ts';
import { type OutgoingFile, type Progress, sendFile } from './transfer.ts';

export interface TrayItem {
  readonly key: number;
  readonly file: OutgoingFile['file'];
  readonly caption: string;
  readonly width?: number;
  readonly height?: number;
  readonly durationMs?: number;
  readonly voice?: boolean;
  /** An image's tiny preview for the pointer (thumbnail.ts). */
  readonly thumb?: Uint8Array;
  readonly problem: FileProblem | null;
  readonly status: 'ready' | 'sending' | 'failed';
  readonly progress?: Progress;
  readonly error?: string;
}

export type NewTrayFile = Pick<TrayItem, 'file' | 'width' | 'height' | 'durationMs' | 'voice'>;

export function createTray(conversationId: () => string) {
  const [items, setItems] = createSignal<readonly TrayItem[]>([]);
  const controllers = new Map<number, AbortController>();
  const startedHere = new Set<string>();
  let next = 0;
  const paused = createPausedUploads({
    conversationId,
    startedHere,
    backToTray: (file, caption) => {
      void add([{ file }]).then(() => {
        const last = items().at(-1);
        if (last !== undefined && last.file === file) setCaption(last.key, caption);
      });
    },
  });

  const update = (key: number, change: Partial<TrayItem>) =>
    setItems((list) => list.map((i) => (i.key === key ? { ...i, ...change } : i)));

  async function add(files: readonly NewTrayFile[]): Promise<void> {
    for (const f of files) {
      const key = ++next;
      setItems((list) => [
        ...list,
        { ...f, key, caption: '', problem: problemOf(f.file), status: 'ready' },
      ]);
      if (f.width === undefined) {
        // Size (receivers reserve the space) and preview (shown while it downloads).
        const facts = await imageFacts(f.file);
        if (facts !== undefined) update(key, facts);
      }
    }
  }

  function remove(key: number): void {
    controllers.get(key)?.abort();
    controllers.delete(key);
    setItems((list) => list.filter((i) => i.key !== key));
  }

  function setCaption(key: number, caption: string): void {
    update(key, { caption });
  }

  async function sendOne(item: TrayItem): Promise<boolean> {
    const controller = new AbortController();
    controllers.set(item.key, controller);
    update(item.key, { status: 'sending', progress: { done: 0, total: item.file.size } });
    try {
      await sendFile({
        conversationId: conversationId(),
        item: {
          file: item.file,
          caption: item.caption,
          ...(item.width === undefined ? {} : { width: item.width }),
          ...(item.height === undefined ? {} : { height: item.height }),
          ...(item.durationMs === undefined ? {} : { durationMs: item.durationMs }),
          ...(item.voice === undefined ? {} : { voice: item.voice }),
          ...(item.thumb === undefined ? {} : { thumb: item.thumb }),
        },
        signal: controller.signal,
        onProgress: (progress) => update(item.key, { progress }),
        onPending: (id) => startedHere.add(id),
      });
      setItems((list) => list.filter((i) => i.key !== item.key));
      return true;
    } catch (e) {
      if (!controller.signal.aborted) {
        update(item.key, { status: 'failed', error: describeError(e) });
      }
      return false;
    } finally {
      controllers.delete(item.key);
    }
  }

  /** Sends every sendable item (in order); resolves when all finished or failed. */
  async function sendAll(): Promise<void> {
    for (const item of items()) {
      if (item.problem === null && item.status !== 'sending') await sendOne(item);
    }
  }

  /** Cancel: the upload stops and the file stays in the tray, ready to send again. */
  function cancel(key: number): void {
    controllers.get(key)?.abort();
    update(key, { status: 'ready' });
  }

  function retry(key: number): void {
    const item = items().find((i) => i.key === key);
    if (item !== undefined) void sendOne(item);
  }

  const sendable = () => items().some((i) => i.problem === null && i.status !== 'sending');

  return { items, add, remove, setCaption, sendAll, cancel, retry, sendable, paused };
}

export type Tray = ReturnType<typeof createTray>;
