/**
 * Resuming an upload after the page lost its file (a closed side panel, a
 * restarted browser: File objects do not survive either). The pending-upload
 * record keeps the file's key, the relay's id and token, its name and size and
 * a fingerprint of its first 64 KiB; the person picks the file again, the
 * page checks it is the same one, and the upload continues from the chunks
 * the relay already has (its status endpoint), the key making the same
 * ciphertext come out. docs/extension.md "Attachments" has the decision.
 *
 * Runs in: extension pages and Node (tests).
 */
import { toBase64Url } from '../../../shared/bytes.ts';
import type { PendingUpload } from '../../../shared/client/conversations/pending-uploads.ts';
import { formatBytes } from './files.ts';

/** How much of the file the fingerprint covers: enough to tell files apart, cheap to read. */
export const FILE_HEAD_BYTES = 64 * 1024;

/** base64url of the first 16 bytes of SHA-256(the file's first 64 KiB). */
export async function fileHead(file: Blob): Promise<string> {
  const head = await file.slice(0, FILE_HEAD_BYTES).arrayBuffer();
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', head));
  return toBase64Url(hash.subarray(0, 16));
}

/** Why a picked file is not the paused one, or null when it is. */
export async function mismatchOf(
  paused: Pick<PendingUpload, 'name' | 'size' | 'head'>,
  picked: Blob & { readonly name: string },
): Promise<string | null> {
  if (picked.size !== paused.size) {
    // Rounded sizes can read alike (64 KB and 64 KB): then the exact bytes.
    const near = formatBytes(picked.size) === formatBytes(paused.size);
    const size = (n: number) => (near ? `${n} bytes` : formatBytes(n));
    return `${picked.name} is ${size(picked.size)}; the paused file ${paused.name} is ${size(paused.size)}. Choose the same file.`;
  }
  if (paused.head !== undefined && (await fileHead(picked)) !== paused.head) {
    return `That file is not the paused ${paused.name}: its content differs. Choose the same file.`;
  }
  return null;
}
