import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { observeDistribution, observeMessage } from './sequence.ts';

describe('group sequence numbers', () => {
  it('reports a gap when a number is skipped, nothing otherwise', () => {
    expect(observeMessage(undefined, 5)).toEqual({ next: 6, late: false });
    expect(observeMessage(6, 6)).toEqual({ next: 7, late: false });
    expect(observeMessage(7, 9)).toEqual({ next: 10, gap: { from: 7, count: 2 }, late: false });
    expect(observeMessage(10, 8)).toEqual({ next: 10, late: true });
  });

  it('starts counting at the distribution and notices messages dropped before it', () => {
    expect(observeDistribution(undefined, 3)).toEqual({ next: 3, late: false });
    expect(observeDistribution(3, 3)).toEqual({ next: 3, late: false });
    expect(observeDistribution(3, 5)).toEqual({ next: 5, gap: { from: 3, count: 2 }, late: false });
    expect(observeDistribution(5, 4)).toEqual({ next: 5, late: true });
  });

  it('the gaps reported add up to exactly the messages the relay dropped (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.array(fc.boolean(), { maxLength: 200 }),
        (start, kept) => {
          let next = observeDistribution(undefined, start).next;
          let missing = 0;
          let dropped = 0;
          let pendingDrops = 0;
          kept.forEach((delivered, i) => {
            if (!delivered) {
              pendingDrops++;
              return;
            }
            const step = observeMessage(next, start + i);
            next = step.next;
            missing += step.gap?.count ?? 0;
            dropped += pendingDrops;
            pendingDrops = 0;
            expect(step.late).toBe(false);
          });
          // Drops at the very end are only visible once a later message arrives.
          expect(missing).toBe(dropped);
        },
      ),
    );
  });
});
