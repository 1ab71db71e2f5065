/**
 * The tiny preview that travels in an image's pointer (`thumb`, at most
 * ATTACHMENT_THUMB_MAX_BYTES): the image scaled to THUMB_MAX_SIDE px on its
 * longest side and encoded as WebP, at the best quality that fits. The
 * receiver shows it blurred, at the image's aspect ratio, while the full
 * image downloads (docs/extension.md "Attachments"). Decision: the browser's
 * own decoder and encoder (createImageBitmap, OffscreenCanvas) rather than a
 * thumbhash library: no dependency, and any browser shows the result as it is.
 *
 * Runs in: extension pages (the sizing and fitting also in Node tests).
 */
import { ATTACHMENT_THUMB_MAX_BYTES } from '../../../shared/attachments/pointer.ts';

/** Longest side of the preview in pixels: it is shown blurred, so more buys nothing. */
export const THUMB_MAX_SIDE = 32;

/** Qualities tried in turn until the WebP fits in the pointer. */
const QUALITIES = [0.7, 0.5, 0.3, 0.1] as const;

/** The preview's pixel size: the image's aspect, THUMB_MAX_SIDE on the longest side, ≥ 1 px. */
export function thumbSize(
  width: number,
  height: number,
  maxSide = THUMB_MAX_SIDE,
): { width: number; height: number } {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return {
    width: Math.max(1, Math.round(width * scale)),
    height: Math.max(1, Math.round(height * scale)),
  };
}

/**
 * The first encoding (best quality first) that fits in `maxBytes`, or
 * undefined when none does (the pointer then goes without a preview).
 */
export async function fitThumb(
  encode: (quality: number) => Promise<Uint8Array | undefined>,
  maxBytes = ATTACHMENT_THUMB_MAX_BYTES,
): Promise<Uint8Array | undefined> {
  for (const quality of QUALITIES) {
    const bytes = await encode(quality);
    if (bytes !== undefined && bytes.length > 0 && bytes.length <= maxBytes) return bytes;
  }
  return undefined;
}

export interface ImageFacts {
  readonly width: number;
  readonly height: number;
  readonly thumb?: Uint8Array;
}

/** An image's pixel size and preview; undefined when the browser cannot decode it. */
export async function imageFacts(file: Blob): Promise<ImageFacts | undefined> {
  if (!file.type.startsWith('image/') || typeof createImageBitmap !== 'function') return undefined;
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    return undefined;
  }
  try {
    const { width, height } = bitmap;
    if (width <= 0 || height <= 0) return undefined;
    const thumb = await previewOf(bitmap);
    return thumb === undefined ? { width, height } : { width, height, thumb };
  } finally {
    bitmap.close();
  }
}

async function previewOf(bitmap: ImageBitmap): Promise<Uint8Array | undefined> {
  if (typeof OffscreenCanvas !== 'function') return undefined;
  const size = thumbSize(bitmap.width, bitmap.height);
  const canvas = new OffscreenCanvas(size.width, size.height);
  const g = canvas.getContext('2d');
  if (g === null) return undefined;
  g.drawImage(bitmap, 0, 0, size.width, size.height);
  try {
    return await fitThumb(async (quality) => {
      const blob = await canvas.convertToBlob({ type: 'image/webp', quality });
      return new Uint8Array(await blob.arrayBuffer());
    });
  } catch {
    return undefined;
  }
}

/** A pointer's preview as an image URL (base64url in the view; the bytes are WebP or any image). */
export function thumbUrl(thumb: string): string {
  const b64 = thumb.replace(/-/g, '+').replace(/_/g, '/');
  return `data:image/webp;base64,${b64}${'='.repeat((4 - (b64.length % 4)) % 4)}`;
}
