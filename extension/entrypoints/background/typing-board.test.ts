import { describe, expect, it } from 'vitest';
import { TypingBoard } from './typing-board.ts';

describe('TypingBoard', () => {
  it('lists typers per conversation in the order they started and reports real changes only', () => {
    const board = new TypingBoard();
    expect(board.set('g:1', 'u-bob', 'bob', true)).toBe(true);
    expect(board.set('g:1', 'u-bob', 'bob', true)).toBe(false); // a refresh is no change
    expect(board.set('g:1', 'u-carol', 'carol', true)).toBe(true);
    expect(board.set('u:x', 'u-bob', 'bob', true)).toBe(true);
    expect(board.handles('g:1')).toEqual(['bob', 'carol']);
    expect(board.set('g:1', 'u-bob', 'bob', false)).toBe(true);
    expect(board.set('g:1', 'u-bob', 'bob', false)).toBe(false);
    expect(board.handles('g:1')).toEqual(['carol']);
    board.clear('g:1');
    expect(board.handles('g:1')).toEqual([]);
    expect(board.handles('u:x')).toEqual(['bob']);
    board.clear();
    expect(board.handles('u:x')).toEqual([]);
  });

  it('takes a handle learned later for someone already typing', () => {
    const board = new TypingBoard();
    board.set('g:1', 'u-bob', 'user u-bob', true);
    expect(board.set('g:1', 'u-bob', 'bob', true)).toBe(true);
    expect(board.handles('g:1')).toEqual(['bob']);
  });
});
