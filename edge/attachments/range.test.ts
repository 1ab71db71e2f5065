import { describe, expect, it } from 'vitest';
import { ErrorCode, isParleyError } from '../../shared/errors.ts';
import { contentRange, parseRange, rangeResponse } from './range.ts';

describe('Range header of a chunk GET', () => {
  it('reads one bytes range: closed, open-ended, suffix; clamps the end', () => {
    expect(parseRange(undefined, 100)).toBeUndefined();
    expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=90-', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-1000', 100)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=50-5000', 100)).toEqual({ start: 50, end: 99 });
    expect(contentRange({ start: 50, end: 99 }, 100)).toBe('bytes 50-99/100');
  });

  it('refuses everything else with RANGE_NOT_SATISFIABLE carrying the length', () => {
    for (const header of [
      'bytes=100-',
      'bytes=5-4',
      'bytes=-0',
      'bytes=-',
      'bytes=0-1,3-4',
      'items=0-1',
      'bytes=a-b',
      '',
    ]) {
      let error: unknown;
      try {
        parseRange(header, 100);
      } catch (e) {
        error = e;
      }
      expect([header, isParleyError(error, ErrorCode.RANGE_NOT_SATISFIABLE)]).toEqual([
        header,
        true,
      ]);
      expect((error as { details?: { length?: number } }).details?.length).toBe(100);
    }
  });

  it('answers 200 with the whole chunk, or 206 with the part and its Content-Range', async () => {
    const whole = rangeResponse(new Uint8Array([1, 2, 3, 4]), 4, undefined);
    expect(whole.status).toBe(200);
    expect(Object.fromEntries(whole.headers)).toEqual({
      'content-type': 'application/octet-stream',
      'accept-ranges': 'bytes',
      'cache-control': 'no-store',
    });
    expect(new Uint8Array(await whole.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3, 4]));
    const part = rangeResponse(new Uint8Array([2, 3]), 4, { start: 1, end: 2 });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 1-2/4');
    expect(part.headers.get('accept-ranges')).toBe('bytes');
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(new Uint8Array([2, 3]));
  });
});
