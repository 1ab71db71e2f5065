/**
 * The arithmetic of a virtualised list with items of different heights:
 * prefix sums of measured (or estimated) heights, and the index window that
 * covers the viewport plus some overscan. Pure, so it is unit-tested in Node;
 * components/MessageList.tsx does the DOM side.
 *
 * Runs anywhere.
 */

export interface Layout {
  /** offsets[i] = top of item i; offsets[n] = total height. */
  readonly offsets: readonly number[];
  readonly total: number;
}

export function layout(heights: readonly number[]): Layout {
  const offsets = new Array<number>(heights.length + 1);
  let y = 0;
  for (let i = 0; i < heights.length; i++) {
    offsets[i] = y;
    y += heights[i] ?? 0;
  }
  offsets[heights.length] = y;
  return { offsets, total: y };
}

/** Index of the item containing y (last item whose top is <= y). */
export function indexAt(offsets: readonly number[], y: number): number {
  const n = offsets.length - 1;
  if (n <= 0) return 0;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((offsets[mid] ?? 0) <= y) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export interface Window {
  /** First rendered index (inclusive). */
  readonly start: number;
  /** Last rendered index (exclusive). */
  readonly end: number;
}

export function visibleWindow(
  offsets: readonly number[],
  scrollTop: number,
  viewport: number,
  overscanPx: number,
): Window {
  const n = offsets.length - 1;
  if (n <= 0) return { start: 0, end: 0 };
  const start = indexAt(offsets, Math.max(0, scrollTop - overscanPx));
  const end = Math.min(n, indexAt(offsets, scrollTop + viewport + overscanPx) + 1);
  return { start, end };
}

/**
 * Where to scroll so `anchorIndex` sits where it was (`delta` px above the
 * viewport top) after heights above it changed or items were prepended.
 */
export function anchoredScrollTop(
  offsets: readonly number[],
  anchorIndex: number,
  delta: number,
): number {
  return Math.max(0, (offsets[anchorIndex] ?? 0) + delta);
}
