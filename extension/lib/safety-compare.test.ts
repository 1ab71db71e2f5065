import { describe, expect, it } from 'vitest';
import { compareSafetyNumber, describeComparison } from './safety-compare.ts';

const groups = Array.from({ length: 12 }, (_, i) => String(10000 + i * 7919).slice(0, 5));
const digits = groups.join('');

describe('compareSafetyNumber', () => {
  it('matches the same 60 digits however they were copied', () => {
    expect(compareSafetyNumber(groups, digits)).toEqual({ kind: 'match' });
    expect(
      compareSafetyNumber(
        groups,
        ` ${groups.slice(0, 6).join(' ')}\n${groups.slice(6).join('-')} `,
      ),
    ).toEqual({
      kind: 'match',
    });
  });

  it('tells a different number, a partial one and nothing apart', () => {
    const other = `${digits.slice(0, 59)}${digits.endsWith('0') ? '1' : '0'}`;
    expect(compareSafetyNumber(groups, other)).toEqual({ kind: 'mismatch' });
    expect(compareSafetyNumber(groups, digits.slice(0, 30))).toEqual({
      kind: 'incomplete',
      digits: 30,
    });
    expect(compareSafetyNumber(groups, '  ')).toEqual({ kind: 'empty' });
    expect(describeComparison({ kind: 'empty' }, 'bob')).toBeNull();
    expect(describeComparison({ kind: 'mismatch' }, 'bob')).toMatch(/^It does not match/);
  });
});
