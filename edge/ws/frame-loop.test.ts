import { describe, expect, it } from 'vitest';
import { FRAME_MAX_BYTES } from '../../shared/wire/limits.ts';
import { decodeQueued, FrameLoop, MAX_QUEUED_BYTES, MAX_QUEUED_FRAMES } from './frame-loop.ts';

describe('FrameLoop', () => {
  it('handles frames one at a time, in arrival order, across bursts', async () => {
    const seen: string[] = [];
    let running = 0;
    const loop = new FrameLoop(async (bytes) => {
      expect(++running).toBe(1);
      await Promise.resolve();
      seen.push(bytes === undefined ? 'text' : String(bytes[0]));
      running--;
    });
    expect(loop.push(Uint8Array.of(1), 1)).toBe(true);
    expect(loop.push(undefined, 10)).toBe(true);
    expect(loop.push(Uint8Array.of(3), 1)).toBe(true);
    await loop.settled;
    expect(loop.push(Uint8Array.of(4), 1)).toBe(true);
    await loop.settled;
    expect(seen).toEqual(['1', 'text', '3', '4']);
  });

  it('refuses a frame past the count cap while the handler is stuck, and accepts again once it caught up', async () => {
    let release = (): void => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const loop = new FrameLoop(() => gate);
    for (let i = 0; i < MAX_QUEUED_FRAMES; i++) expect(loop.push(undefined, 1)).toBe(true);
    expect(loop.push(undefined, 1)).toBe(false);
    release();
    await loop.settled;
    const fresh = new FrameLoop(async () => {});
    expect(fresh.push(undefined, 1)).toBe(true);
  });

  it('refuses a frame past the byte cap (text frames cost no bytes)', () => {
    const loop = new FrameLoop(() => new Promise<void>(() => {}));
    const big = new Uint8Array(FRAME_MAX_BYTES);
    // The first frame is taken at once by the (stuck) handler: only waiting frames count.
    for (let i = 0; i <= MAX_QUEUED_BYTES / FRAME_MAX_BYTES; i++)
      expect(loop.push(big, big.byteLength)).toBe(true);
    expect(loop.push(undefined, FRAME_MAX_BYTES)).toBe(true);
    expect(loop.push(Uint8Array.of(1), 1)).toBe(false);
  });

  it('offers message events by their size on arrival: ArrayBuffer, views and text', async () => {
    const seen: (number | undefined)[] = [];
    const loop = new FrameLoop(async (bytes) => {
      seen.push(bytes?.byteLength);
    });
    const tooBig = loop.offer(new ArrayBuffer(11), 10);
    expect(tooBig.kind === 'too-large' && [tooBig.error.code, tooBig.error.details]).toEqual([
      'FRAME_TOO_LARGE',
      { size: 11, max: 10 },
    ]);
    expect(loop.offer('x'.repeat(11), 10).kind).toBe('too-large');
    expect(loop.offer(new ArrayBuffer(10), 10).kind).toBe('queued');
    expect(loop.offer(new Uint8Array(new ArrayBuffer(8), 2, 4), 10).kind).toBe('queued');
    expect(loop.offer('text', 10).kind).toBe('queued');
    await loop.settled;
    expect(seen).toEqual([10, 4, undefined]);
  });
});

describe('decodeQueued', () => {
  it('answers a text frame and undecodable bytes with frame codes, never throwing', () => {
    const text = decodeQueued(undefined, 100);
    expect('error' in text && text.error.code).toBe('FRAME_MALFORMED');
    const garbage = decodeQueued(Uint8Array.of(0xff, 0x00), 100);
    expect('error' in garbage && garbage.error.code).toBe('FRAME_MALFORMED');
    const big = decodeQueued(new Uint8Array(101), 100);
    expect('error' in big && big.error.code).toBe('FRAME_TOO_LARGE');
  });
});
