/**
 * The state of one download or upload as components show it: idle, running
 * with progress (cancellable), done, or failed with a sentence (retryable).
 * Blob URLs made for downloaded files are revoked when the component goes.
 *
 * Runs in: extension pages.
 */
import { createRoot, createSignal, onCleanup } from 'solid-js';
import { ErrorCode } from '../../../shared/errors.ts';
import { describeError } from '../errors.ts';
import type { AttachmentView } from '../protocol.ts';
import { downloadFile, type Progress } from './transfer.ts';

export type TransferState =
  | { readonly phase: 'idle' }
  | { readonly phase: 'running'; readonly progress: Progress }
  | { readonly phase: 'done' }
  | { readonly phase: 'failed'; readonly message: string; readonly expired: boolean };

const EXPIRED_CODES = new Set<string>([ErrorCode.ATTACHMENT_EXPIRED, ErrorCode.NOT_FOUND]);

function codeOf(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : undefined;
}

/** Runs `job` with progress, cancel and retry; `expired` marks a file the relay no longer has. */
export function createTransfer<T>(
  job: (onProgress: (p: Progress) => void, signal: AbortSignal) => Promise<T>,
) {
  const [state, setState] = createSignal<TransferState>({ phase: 'idle' });
  let controller: AbortController | undefined;

  async function start(): Promise<T | undefined> {
    controller?.abort();
    const own = new AbortController();
    controller = own;
    setState({ phase: 'running', progress: { done: 0, total: 0 } });
    try {
      const result = await job((progress) => {
        if (!own.signal.aborted) setState({ phase: 'running', progress });
      }, own.signal);
      if (own.signal.aborted) return undefined;
      setState({ phase: 'done' });
      return result;
    } catch (e) {
      if (own.signal.aborted) {
        setState({ phase: 'idle' });
        return undefined;
      }
      const expired = EXPIRED_CODES.has(codeOf(e) ?? '');
      setState({
        phase: 'failed',
        expired,
        message: expired
          ? 'This file has expired: the relay no longer has it (it keeps files up to 30 days).'
          : describeError(e),
      });
      return undefined;
    }
  }

  function cancel(): void {
    controller?.abort();
    controller = undefined;
    setState({ phase: 'idle' });
  }

  onCleanup(() => controller?.abort());
  return { state, start, cancel };
}

/**
 * Downloads of this page, by attachment id, outliving the components that
 * show them: rows of the virtualised history are re-created while scrolling
 * and as time passes, and a file seen (or being fetched) once is neither
 * fetched again nor cancelled by that. Past the cap the oldest finished ones
 * are dropped and their blob URLs revoked.
 */
const downloads = new Map<string, Download>();
const DOWNLOADS_MAX = 48;

export interface Download {
  readonly state: () => TransferState;
  readonly url: () => string | null;
  readonly start: () => Promise<string | undefined>;
  readonly cancel: () => void;
}

function makeDownload(attachment: AttachmentView): Download {
  const [url, setUrl] = createSignal<string | null>(null);
  const transfer = createTransfer(async (onProgress, signal) => {
    const known = url();
    if (known !== null) return known;
    const blob = await downloadFile({ attachment, onProgress, signal });
    const made = URL.createObjectURL(blob);
    setUrl(made);
    return made;
  });
  return { ...transfer, url };
}

function evictOld(): void {
  for (const [id, d] of downloads) {
    if (downloads.size <= DOWNLOADS_MAX) return;
    if (d.state().phase === 'running') continue;
    downloads.delete(id);
    const u = d.url();
    if (u !== null) URL.revokeObjectURL(u);
  }
}

/**
 * Messages with these files disappeared or were deleted: their decrypted
 * copies go from this page at once (downloads cancelled, blob URLs revoked).
 */
export function forgetDownloads(ids: readonly string[]): void {
  for (const id of ids) {
    const d = downloads.get(id);
    if (d === undefined) continue;
    downloads.delete(id);
    d.cancel();
    const u = d.url();
    if (u !== null) URL.revokeObjectURL(u);
  }
}

/** The page's one download of this file (made on first use). */
export function createDownload(attachment: () => AttachmentView): Download {
  const a = attachment();
  const known = downloads.get(a.id);
  if (known !== undefined) return known;
  const made = createRoot(() => makeDownload(a));
  downloads.set(a.id, made);
  evictOld();
  return made;
}

/** The progress of a running transfer, or undefined. */
export function progressOf(state: TransferState): Progress | undefined {
  return state.phase === 'running' ? state.progress : undefined;
}
