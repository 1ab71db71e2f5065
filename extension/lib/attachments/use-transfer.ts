/**
 * The state of one download or upload as components show it: idle, running
 * with progress (cancellable), done, or failed with a sentence (retryable).
 * Blob URLs made for downloaded files are revoked when the component goes.
 *
 * Runs in: extension pages.
 */
import { createSignal, onCleanup } from 'solid-js';
import { describeError } from '../errors.ts';
import type { AttachmentView } from '../protocol.ts';
import { downloadFile, type Progress } from './transfer.ts';

export type TransferState =
  | { readonly phase: 'idle' }
  | { readonly phase: 'running'; readonly progress: Progress }
  | { readonly phase: 'done' }
  | { readonly phase: 'failed'; readonly message: string; readonly expired: boolean };

const EXPIRED_CODES = new Set(['ATTACHMENT_EXPIRED', 'NOT_FOUND']);

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
          ? 'This file has expired: the relay keeps files for 30 days.'
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

/** A download into a blob URL that lives as long as the component. */
export function createDownload(attachment: () => AttachmentView) {
  const [url, setUrl] = createSignal<string | null>(null);
  const transfer = createTransfer(async (onProgress, signal) => {
    const blob = await downloadFile({ attachment: attachment(), onProgress, signal });
    const made = URL.createObjectURL(blob);
    setUrl((old) => {
      if (old !== null) URL.revokeObjectURL(old);
      return made;
    });
    return made;
  });
  onCleanup(() => {
    const current = url();
    if (current !== null) URL.revokeObjectURL(current);
  });
  return { ...transfer, url };
}

/** The progress of a running transfer, or undefined. */
export function progressOf(state: TransferState): Progress | undefined {
  return state.phase === 'running' ? state.progress : undefined;
}
