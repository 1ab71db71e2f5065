import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isParleyError } from '../errors.ts';
import { isCanonicalHandle, normalizeHandle } from './handle.ts';

function reason(input: string): unknown {
  try {
    normalizeHandle(input);
  } catch (e) {
    if (isParleyError(e, ErrorCode.HANDLE_INVALID)) return e.details?.reason;
    throw e;
  }
  return 'accepted';
}

describe('normalizeHandle', () => {
  it.each([
    ['alice', 'alice'],
    ['Alice', 'alice'],
    ['  @Bob.K_99 ', 'bob.k_99'],
    ['ａｌｉｃｅ', 'alice'], // fullwidth forms, NFKC
    ['ALICE', 'alice'],
    ['x_x', 'x_x'],
    ['9lives', '9lives'],
    ['a'.repeat(32), 'a'.repeat(32)],
    ['ﬁsh', 'fish'], // the "fi" ligature, NFKC
  ])('%s -> %s', (input, expected) => {
    expect(normalizeHandle(input)).toBe(expected);
  });

  it.each([
    ['ab', 'length'],
    ['a_', 'length'],
    ['a'.repeat(33), 'length'],
    ['@ab', 'length'],
    ['a'.repeat(10_000), 'length'],
    ['al ice', 'characters'],
    ['alice!', 'characters'],
    ['аlice', 'characters'], // Cyrillic а: a confusable, rejected rather than mapped
    ['İstanbul', 'characters'], // lowercases to i + combining dot
    ['alice\u200b', 'characters'], // zero-width space
    ['_alice', 'start'],
    ['.alice', 'start'],
    ['alice.', 'dots'],
    ['al..ice', 'dots'],
  ])('rejects %s (%s)', (input, expected) => {
    expect(reason(input)).toBe(expected);
  });

  it('never echoes the input', () => {
    try {
      normalizeHandle('secret-handle!');
      throw new Error('accepted');
    } catch (e) {
      expect(isParleyError(e)).toBe(true);
      expect(JSON.stringify((e as Error & { toJSON(): unknown }).toJSON())).not.toContain('secret');
    }
  });

  it('output is canonical and normalising is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (input) => {
        let out: string;
        try {
          out = normalizeHandle(input);
        } catch (e) {
          expect(isParleyError(e, ErrorCode.HANDLE_INVALID)).toBe(true);
          return;
        }
        expect(isCanonicalHandle(out)).toBe(true);
        expect(normalizeHandle(out)).toBe(out);
      }),
      { numRuns: 2000 },
    );
  });

  it('isCanonicalHandle agrees with normalizeHandle on ASCII input', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9_.]{0,40}$/), (text) => {
        const canonical = isCanonicalHandle(text);
        expect(canonical).toBe(reason(text) === 'accepted');
      }),
      { numRuns: 2000 },
    );
  });
});
