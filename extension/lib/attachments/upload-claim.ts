/**
 * One page at a time per pending upload. The popup and the side panel both
 * list paused uploads and both could resume the same one; two pages
 * uploading one record would each send its message (the file twice in the
 * chat). So a page uploads a record only while it holds that record's Web
 * Lock (`navigator.locks`, shared by every page of the extension's origin and
 * released by the browser when the holding page closes or crashes, so a
 * claim never outlives its page). A page that finds the lock taken shows the
 * upload as busy elsewhere instead. docs/extension.md "Attachments".
 *
 * Runs in: extension pages and Node (tests, with a stand-in for the lock manager;
 * e2e/attachments-resume.e2e.test.ts checks the real one in two Chromium pages).
 */

/** The part of the Web Locks API (`navigator.locks`) this module uses. */
export interface UploadLocks {
  request<T>(
    name: string,
    options: { readonly ifAvailable: true },
    callback: (lock: unknown) => Promise<T>,
  ): Promise<T>;
  query(): Promise<{ readonly held?: readonly { readonly name?: string }[] }>;
}

const PREFIX = 'parley-upload:';

/** Thrown by `whileClaimed` when another page holds the upload. */
export class UploadBusyError extends Error {
  constructor() {
    super('This upload is already being sent from another Parley window.');
    this.name = 'UploadBusyError';
  }
}

/**
 * Thrown when a page that listed a paused upload finds, holding its claim,
 * that the record is gone: another page sent (or discarded) it since.
 */
export class UploadGoneError extends Error {
  constructor() {
    super('This upload was already sent or discarded in another Parley window.');
    this.name = 'UploadGoneError';
  }
}

/** Runs `upload` holding the record's lock; UploadBusyError at once if another page holds it. */
export function whileClaimed<T>(
  locks: UploadLocks,
  uploadId: string,
  upload: () => Promise<T>,
): Promise<T> {
  return locks.request(PREFIX + uploadId, { ifAvailable: true }, async (lock) => {
    if (lock === null) throw new UploadBusyError();
    return upload();
  });
}

/** Ids of the pending uploads some page is sending now (not to be offered as paused). */
export async function claimedUploads(locks: UploadLocks): Promise<Set<string>> {
  const { held = [] } = await locks.query();
  const ids = new Set<string>();
  for (const lock of held) {
    if (lock.name?.startsWith(PREFIX) === true) ids.add(lock.name.slice(PREFIX.length));
  }
  return ids;
}

/** The page's lock manager (every extension page has one). */
export function pageLocks(): UploadLocks {
  return navigator.locks as unknown as UploadLocks;
}
