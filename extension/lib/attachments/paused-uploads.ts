/**
 * Uploads of this conversation that a closed page or a restarted browser
 * left behind (pending-upload records whose page is gone): shown in the tray
 * as "Upload paused" with Resume and Discard. Resume takes the file picked
 * again, checks it is the same one (resume.ts), and continues from the chunks
 * the relay has; Discard deletes the record and the relay upload. Both act
 * only while holding the record's claim and only if the record is still
 * there (another page may have sent it since). Uploads
 * this page started itself are never offered (they are in the tray already).
 * docs/extension.md "Attachments".
 *
 * Runs in: extension pages.
 */
import { createSignal } from 'solid-js';
import type { PendingUpload } from '../../../shared/client/conversations/pending-uploads.ts';
import { describeError } from '../errors.ts';
import { call } from '../rpc-client.ts';
import { isStillPending } from './pending-check.ts';
import { mismatchOf } from './resume.ts';
import { imageFacts } from './thumbnail.ts';
import { type Progress, resumeFile } from './transfer.ts';
import {
  claimedUploads,
  pageLocks,
  UploadBusyError,
  UploadGoneError,
  whileClaimed,
} from './upload-claim.ts';

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

/** What a row says when Resume or Discard did not go through. */
function claimError(e: unknown): string {
  return e instanceof UploadBusyError ? e.message : describeError(e);
}

/** Deletes the record and its relay upload (best effort: the relay drops unfinished uploads). */
async function forget(upload: PendingUpload): Promise<void> {
  await call('deletePendingUpload', { id: upload.id }).catch(() => undefined);
  if (upload.relayId !== undefined)
    await call('attachmentDelete', { id: upload.relayId }).catch(() => undefined);
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
      } else if (e instanceof UploadGoneError) {
        // Sent from another page since this one listed it: the history shows it now.
        drop(id);
      } else {
        const error = claimError(e);
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
    const resumingHere = controllers.get(id);
    if (resumingHere !== undefined) {
      resumingHere.abort();
      drop(id);
      await forget(paused.upload);
      return;
    }
    // Another page may be sending it now (busy) or have sent it since this page listed it:
    // deleting its relay upload then would take the file from a sent message.
    try {
      await whileClaimed(pageLocks(), id, async () => {
        if (await isStillPending(id)) await forget(paused.upload);
      });
      drop(id);
    } catch (e) {
      update(id, { error: claimError(e) });
    }
  }

  return { list, load, resume, cancel, discard };
}

export type PausedUploads = ReturnType<typeof createPausedUploads>;
