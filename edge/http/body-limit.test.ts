import { describe, expect, it } from 'vitest';
import { readCappedBody } from './body-limit.ts';

/** A chunked body of `chunks` x `size` bytes that counts how many chunks were pulled. */
function streamed(chunks: number, size: number) {
  let pulled = 0;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled >= chunks) {
        controller.close();
        return;
      }
      pulled++;
      controller.enqueue(new Uint8Array(size).fill(pulled));
    },
    cancel() {
      cancelled = true;
    },
  });
  const request = new Request('http://relay.test/v1/x', {
    method: 'POST',
    body,
    duplex: 'half',
  } as RequestInit);
  return { request, pulled: () => pulled, cancelled: () => cancelled };
}

describe('readCappedBody', () => {
  it('returns a body within the cap, whatever its chunking', async () => {
    const s = streamed(4, 100);
    const body = await readCappedBody(s.request, 400);
    expect(body.length).toBe(400);
    expect([body[0], body[100], body[399]]).toEqual([1, 2, 4]);
  });

  it('stops reading a chunked body as soon as it passes the cap, and cancels the rest', async () => {
    const s = streamed(10_000, 1024);
    await expect(readCappedBody(s.request, 4096)).rejects.toMatchObject({
      code: 'BODY_TOO_LARGE',
      details: { max: 4096 },
    });
    // The chunk that crossed the cap is the last one read (streams may pull one ahead).
    expect(s.pulled()).toBeLessThanOrEqual(6);
    expect(s.cancelled()).toBe(true);
  });

  it('refuses a declared Content-Length over the cap without reading', async () => {
    const request = new Request('http://relay.test/v1/x', {
      method: 'POST',
      body: new Uint8Array(5000),
      headers: { 'content-length': '5000' },
    });
    await expect(readCappedBody(request, 4096)).rejects.toMatchObject({ code: 'BODY_TOO_LARGE' });
  });
});
