/**
 * Whether a pending-upload record still exists. A page lists paused uploads
 * once, when it opens a conversation; meanwhile another page (the popup, the
 * side panel) may have sent or discarded the same upload. Checked while
 * holding the record's claim (upload-claim.ts), so the answer holds for as
 * long as this page acts on it. docs/extension.md "Attachments".
 *
 * Runs in: extension pages.
 */
import { call } from '../rpc-client.ts';

export async function isStillPending(id: string): Promise<boolean> {
  return (await call('listPendingUploads')).some((u) => u.id === id);
}
