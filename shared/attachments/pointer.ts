/**
 * The attachment pointer that travels inside an end-to-end encrypted message
 * (schema: shared/client/sessions/content.ts `AttachmentPointerSchema`), and
 * the meaning of its `flags` bits (Signal's values, so the two read alike).
 */
export {
  ATTACHMENT_THUMB_MAX_BYTES,
  type AttachmentPointer,
  AttachmentPointerSchema,
} from '../client/sessions/content.ts';

export const AttachmentFlag = {
  /** Recorded in the app as a voice note: shown with a player, not as a file. */
  VOICE_NOTE: 1,
  /** An image shown without a frame (stickers). */
  BORDERLESS: 2,
  /** An animated image (or a looping video) shown as a GIF. */
  GIF: 8,
} as const;

export function hasFlag(flags: number | undefined, flag: number): boolean {
  return ((flags ?? 0) & flag) !== 0;
}
