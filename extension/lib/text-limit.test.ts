import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MESSAGE_TEXT_MAX_CHARS } from '../../shared/wire/limits.ts';
import { MESSAGE_MAX_CHARS } from './protocol.ts';
import { textLimitState } from './text-limit.ts';

describe('composer length limit', () => {
  it('is the client core limit, not a smaller one of its own', () => {
    expect(MESSAGE_MAX_CHARS).toBe(MESSAGE_TEXT_MAX_CHARS);
    expect(MESSAGE_MAX_CHARS).toBe(16_384);
  });

  it('says nothing for short text, counts near the limit and refuses over it', () => {
    expect(textLimitState(0, 16_384)).toEqual({ zone: 'ok', counter: null, message: null });
    expect(textLimitState(14_000, 16_384).zone).toBe('ok');
    expect(textLimitState(16_000, 16_384)).toEqual({
      zone: 'near',
      counter: '16,000 / 16,384',
      message: 'Near the length limit: 384 characters left.',
    });
    expect(textLimitState(16_384, 16_384).zone).toBe('near');
    expect(textLimitState(100_000, 16_384)).toEqual({
      zone: 'over',
      counter: '100,000 / 16,384',
      message:
        'Too long to send: 100,000 characters, the limit is 16,384. Remove 83,616 characters or split it into several messages.',
    });
  });

  it('is over exactly when the core would refuse the text', () => {
    fc.assert(
      fc.property(fc.nat({ max: 200_000 }), (n) => {
        return (textLimitState(n, MESSAGE_MAX_CHARS).zone === 'over') === n > MESSAGE_MAX_CHARS;
      }),
    );
  });
});
