import { describe, expect, it } from 'vitest';
import { ATTACHMENT_THUMB_MAX_BYTES } from '../../../shared/attachments/pointer.ts';
import { fitThumb, THUMB_MAX_SIDE, thumbSize, thumbUrl } from './thumbnail.ts';

describe('image previews for pointers', () => {
  it('keep the aspect ratio with the longest side at most 32 px, never 0 px', () => {
    expect(thumbSize(640, 400)).toEqual({ width: 32, height: 20 });
    expect(thumbSize(400, 640)).toEqual({ width: 20, height: 32 });
    expect(thumbSize(10_000, 10)).toEqual({ width: 32, height: 1 });
    expect(thumbSize(16, 8)).toEqual({ width: 16, height: 8 }); // never scaled up
    for (const [w, h] of [
      [1, 1],
      [4000, 3000],
      [33, 31],
    ] as const) {
      const s = thumbSize(w, h);
      expect(Math.max(s.width, s.height)).toBeLessThanOrEqual(THUMB_MAX_SIDE);
      expect(Math.min(s.width, s.height)).toBeGreaterThanOrEqual(1);
    }
  });

  it('never exceed the pointer’s thumb limit: lower quality until it fits, else none', async () => {
    const tried: number[] = [];
    const shrinking = async (quality: number) => {
      tried.push(quality);
      return new Uint8Array(Math.round(quality * 4000)); // 2800, 2000, …
    };
    const fitted = await fitThumb(shrinking);
    expect(fitted?.length).toBe(2000);
    expect(fitted?.length).toBeLessThanOrEqual(ATTACHMENT_THUMB_MAX_BYTES);
    expect(tried).toEqual([0.7, 0.5]);

    const huge = async () => new Uint8Array(ATTACHMENT_THUMB_MAX_BYTES + 1);
    expect(await fitThumb(huge)).toBeUndefined();
    expect(await fitThumb(async () => undefined)).toBeUndefined();
  });

  it('turn the view’s base64url into a data URL', () => {
    expect(thumbUrl('UklGRg-_')).toBe('data:image/webp;base64,UklGRg+/');
    expect(thumbUrl('AAE')).toBe('data:image/webp;base64,AAE=');
  });
});
