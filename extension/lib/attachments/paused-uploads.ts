/**
 * Uploads of this conversation that a closed page or a restarted browser
 * left behind (pending-upload records whose page is gone): shown in the tray
 * as "Upload paused" with Resume and Discard. Resume takes the file picked
 * again, checks it is the same one (resume.ts), and continues from the chunks
 * the relay has; Discard deletes the record and the relay upload. Uploads
 * this page started itself are never offered (they are in the tray already).
 * docs/extension.md "Attachments".
 *
 * Runs in: extension pages.
 */
import { createSignal } from 'solid-js';
import type { PendingUpload } from '../../../shared/client/conversations/pending-uploads.ts';
import { describeError } from '../errors.ts';
import { call } from '../rpc-client.ts';
import { mismatchOf } from './resume.ts';
import { imageFacts } from './thumbnail.ts';
import { type Progress, resumeFile } from './transfer.ts';
import { claimedUploads, pageLocks, UploadBusyError } from './upload-claim.ts';

export interface PausedUpload {
  readonly upload: PendingUpload;
  readonly status: 'paused' | 'resuming';
  readonly progress?: Progress;
  /** Why the last Resume did not go through (another file picked, a network failure). */
  readonly error?: string;
}

export interface PausedUploadsHost {
  readonly conversationId: () => string;
  /** Record ids of uploads this page started (not offered as paused). */
  readonly startedHere: ReadonlySet<string>;
  /** A resumed upload was cancelled: the file, now known again, goes back in the tray. */
  readonly backToTray: (file: File, caption: string) => void;
}

export function createPausedUploads(host: PausedUploadsHost) {
  const [list, setList] = createSignal<readonly PausedUpload[]>([]);
  const controllers = new Map<string, AbortController>();

  const update = (id: string, change: Partial<PausedUpload>) =>
    setList((all) => all.map((p) => (p.upload.id === id ? { ...p, ...change } : p)));
  const drop = (id: string) => setList((all) => all.filter((p) => p.upload.id !== id));

  /** Reads the records (when the composer opens a conversation). */
  async function load(): Promise<void> {
    const conversationId = host.conversationId();
    const all = await call('listPendingUploads');
    // Being sent by another page right now (the popup's while this is the side panel).
    const elsewhere = await claimedUploads(pageLocks());
    if (conversationId !== host.conversationId()) return; // switched meanwhile
    setList(
      all
        .filter(
          (u) =>
            u.conversationId === conversationId &&
            !host.startedHere.has(u.id) &&
            !elsewhere.has(u.id),
        )
        .sort((a, b) => a.createdAt - b.createdAt)
        .map((upload) => ({ upload, status: 'paused' as const })),
    );
  }

  async function resume(id: string, file: File): Promise<void> {
    const paused = list().find((p) => p.upload.id === id);
    if (paused === undefined || paused.status === 'resuming') return;
    const mismatch = await mismatchOf(paused.upload, file);
    if (mismatch !== null) {
      update(id, { error: mismatch });
      return;
    }
    const controller = new AbortController();
    controllers.set(id, controller);
    const total = paused.upload.size;
    setList((all) =>
      all.map((p) =>
        p.upload.id === id
          ? { upload: p.upload, status: 'resuming', progress: { done: 0, total } }
          : p,
      ),
    );
    try {
      const facts = await imageFacts(file);
      await resumeFile({
        upload: paused.upload,
        file,
        media: facts ?? {},
        signal: controller.signal,
        onProgress: (progress) => update(id, { progress }),
      });
      drop(id);
    } catch (e) {
      if (controller.signal.aborted) {
        // Cancelled: the relay upload is gone (transfer.ts), the file is in hand.
        drop(id);
        host.backToTray(file, paused.upload.caption);
      } else {
        const error = e instanceof UploadBusyError ? e.message : describeError(e);
        update(id, { status: 'paused', error });
      }
    } finally {
      controllers.delete(id);
    }
  }

  function cancel(id: string): void {
    controllers.get(id)?.abort();
  }

  async function discard(id: string): Promise<void> {
    const paused = list().find((p) => p.upload.id === id);
    if (paused === undefined) return;
    controllers.get(id)?.abort();
    drop(id);
    await call('deletePendingUpload', { id }).catch(() => undefined);
    const relayId = paused.upload.relayId;
    if (relayId !== undefined)
      await call('attachmentDelete', { id: relayId }).catch(() => undefined);
  }

  return { list, load, resume, cancel, discard };
}

export type PausedUploads = ReturnType<typeof createPausedUploads>;
