import { describe, expect, it } from 'vitest';
import { ErrorCode, isParleyError } from '../../shared/errors.ts';
import { contentRange, parseRange } from './range.ts';

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
});
