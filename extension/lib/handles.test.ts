import { describe, expect, it } from 'vitest';
import { handleProblem, parseHandles } from './handles.ts';

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

describe('handleProblem', () => {
  it('asks for a handle when nothing was typed, and states the rule otherwise', () => {
    expect(handleProblem('')).toBe('Enter a handle.');
    expect(handleProblem('  @ ')).toBe('Enter a handle.');
    expect(handleProblem('x')).toMatch(/^Use 3–32 lowercase letters/);
  });
});
