import { describe, expect, it } from 'vitest';
import { parseHandles } from './handles.ts';

describe('parseHandles', () => {
  it('reads handles separated by commas or spaces, canonical, once each', () => {
    expect(parseHandles(' @Bob, carol  dave;bob ')).toEqual({
      handles: ['bob', 'carol', 'dave'],
      bad: null,
    });
    expect(parseHandles('')).toEqual({ handles: [], bad: null });
  });

  it('names the first entry that is not a handle', () => {
    expect(parseHandles('bob, x, carol')).toEqual({ handles: ['bob'], bad: 'x' });
  });
});
