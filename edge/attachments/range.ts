/**
 * The Range header of a chunk GET (RFC 9110 §14): one `bytes=` range per
 * request, which is all a resuming or seeking downloader needs. Anything else
 * (several ranges, other units, syntax errors, a start past the end) is
 * refused with 416 rather than silently answered whole, so a client never
 * mistakes a whole chunk for the part it asked for. rangeResponse answers
 * such a GET (attachment and backup chunks alike).
 */
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import type { ByteRange } from './blob-store.ts';

function unsatisfiable(length: number): ParleyError {
  return new ParleyError(ErrorCode.RANGE_NOT_SATISFIABLE, 'Range not satisfiable', { length });
}

/** The range `header` asks for within `length` bytes; undefined without a header. */
export function parseRange(header: string | undefined, length: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim());
  if (match === null) throw unsatisfiable(length);
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') throw unsatisfiable(length);
  if (first === '') {
    // A suffix: the last N bytes.
    const n = Number(last);
    if (n === 0) throw unsatisfiable(length);
    return { start: Math.max(0, length - n), end: length - 1 };
  }
  const start = Number(first);
  const end = last === '' ? length - 1 : Math.min(Number(last), length - 1);
  if (start >= length || end < start) throw unsatisfiable(length);
  return { start, end };
}

/** `Content-Range` of a 206 answer. */
export function contentRange(range: ByteRange, length: number): string {
  return `bytes ${range.start}-${range.end}/${length}`;
}

/**
 * The answer to a chunk GET: 200 with the whole chunk when no range was asked
 * for, else 206 with the part and its Content-Range. `data` is what the range
 * selects out of a chunk of `length` bytes.
 */
export function rangeResponse(
  data: Uint8Array,
  length: number,
  range: ByteRange | undefined,
): Response {
  const headers: Record<string, string> = {
    'content-type': 'application/octet-stream',
    'accept-ranges': 'bytes',
    'cache-control': 'no-store',
  };
  if (range === undefined)
    return new Response(data as Uint8Array<ArrayBuffer>, { status: 200, headers });
  headers['content-range'] = contentRange(range, length);
  return new Response(data as Uint8Array<ArrayBuffer>, { status: 206, headers });
}
