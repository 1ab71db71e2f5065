import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anchoredScrollTop, indexAt, layout, visibleWindow } from './virtual.ts';

describe('virtual list arithmetic', () => {
  it('lays items end to end', () => {
    expect(layout([10, 20, 30])).toEqual({ offsets: [0, 10, 30, 60], total: 60 });
    expect(layout([])).toEqual({ offsets: [0], total: 0 });
  });

  it('finds the item under any y', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 60 }),
        fc.nat(20_000),
        (heights, yRaw) => {
          const { offsets, total } = layout(heights);
          const y = yRaw % total;
          const i = indexAt(offsets, y);
          expect(offsets[i]).toBeLessThanOrEqual(y);
          expect(offsets[i + 1]).toBeGreaterThan(y);
        },
      ),
    );
  });

  it('renders every item that intersects the viewport, and only a bounded overscan beyond', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 80 }),
        fc.nat(10_000),
        fc.integer({ min: 1, max: 900 }),
        (heights, top, viewport) => {
          const { offsets, total } = layout(heights);
          const scrollTop = Math.min(top, Math.max(0, total - 1));
          const { start, end } = visibleWindow(offsets, scrollTop, viewport, 100);
          for (let i = 0; i < heights.length; i++) {
            const top_ = offsets[i] ?? 0;
            const bottom = offsets[i + 1] ?? 0;
            const visible = bottom > scrollTop && top_ < scrollTop + viewport;
            if (visible) expect(i >= start && i < end).toBe(true);
            if (bottom < scrollTop - 100 || top_ > scrollTop + viewport + 100)
              expect(i >= start && i < end).toBe(false);
          }
        },
      ),
    );
  });

  it('keeps an anchored row in place after rows are prepended', () => {
    const before = layout([50, 50, 50]);
    const after = layout([80, 40, 50, 50, 50]); // two older rows arrived on top
    // The reader was 10 px into row 1 (now row 3).
    expect(anchoredScrollTop(after.offsets, 3, 10)).toBe((after.offsets[3] ?? 0) + 10);
    expect(anchoredScrollTop(before.offsets, 1, 10)).toBe(60);
  });
});
