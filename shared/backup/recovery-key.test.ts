/** Recovery keys: vectors, round trips, and that every one-character typo is caught offline. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes.ts';
import { systemRandom } from '../crypto/random.ts';
import { ErrorCode, isParleyError } from '../errors.ts';
import {
  encodeRecoveryKey,
  formatRecoveryKey,
  newRecoveryKey,
  parseRecoveryKey,
  RECOVERY_KEY_ALPHABET,
  RECOVERY_KEY_CHARS,
  type RecoveryKeyProblem,
  recoveryKeyGroups,
} from './recovery-key.ts';
import vectors from './vectors/recovery-key.json' with { type: 'json' };

const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

function problemOf(text: string): RecoveryKeyProblem | 'none' {
  try {
    parseRecoveryKey(text);
    return 'none';
  } catch (error) {
    if (!isParleyError(error, ErrorCode.RECOVERY_KEY_INVALID)) throw error;
    return String(error.details?.reason) as RecoveryKeyProblem;
  }
}

describe('recovery key vectors', () => {
  it.each(vectors.valid)('$display', ({ key, display }) => {
    expect(formatRecoveryKey(fromHex(key))).toBe(display);
    expect(toHex(parseRecoveryKey(display))).toBe(key);
  });

  it.each(vectors.accepted)('accepts $input', ({ key, input }) => {
    expect(toHex(parseRecoveryKey(input))).toBe(key);
  });

  it.each(vectors.rejected)('refuses $input ($reason)', ({ input, reason }) => {
    expect(problemOf(input)).toBe(reason);
  });
});

describe('recovery key', () => {
  it('is 32 fresh random bytes shown as 14 groups of 4', () => {
    const key = newRecoveryKey(systemRandom);
    expect(key.length).toBe(32);
    const groups = recoveryKeyGroups(key);
    expect(groups).toHaveLength(14);
    for (const g of groups) expect(g).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}$/);
  });

  it('round trips through its display form, whatever the case, spacing and look-alikes', () => {
    fc.assert(
      fc.property(key32, fc.boolean(), (key, lower) => {
        const shown = formatRecoveryKey(key);
        expect(parseRecoveryKey(shown)).toEqual(key);
        const typed = shown.replace(/ /g, '-').replace(/0/g, 'O').replace(/1/g, 'l');
        expect(parseRecoveryKey(lower ? typed.toLowerCase() : typed)).toEqual(key);
      }),
    );
  });

  it('catches every single-character substitution', () => {
    fc.assert(
      fc.property(key32, (key) => {
        const text = encodeRecoveryKey(key);
        for (let i = 0; i < RECOVERY_KEY_CHARS; i++) {
          for (const c of RECOVERY_KEY_ALPHABET) {
            if (c === text[i]) continue;
            const typo = text.slice(0, i) + c + text.slice(i + 1);
            expect(problemOf(typo)).toBe('checksum');
          }
        }
      }),
      { numRuns: 20 },
    );
  });

  it('catches every swap of two different neighbours and every dropped character', () => {
    fc.assert(
      fc.property(key32, (key) => {
        const text = encodeRecoveryKey(key);
        for (let i = 0; i + 1 < text.length; i++) {
          if (text[i] === text[i + 1]) continue;
          const swapped = text.slice(0, i) + text[i + 1] + text[i] + text.slice(i + 2);
          expect(problemOf(swapped)).toBe('checksum');
        }
        for (let i = 0; i < text.length; i++) {
          expect(problemOf(text.slice(0, i) + text.slice(i + 1))).toBe('length');
        }
      }),
      { numRuns: 40 },
    );
  });

  it('never puts the typed text into the error', () => {
    const text = encodeRecoveryKey(new Uint8Array(32).fill(7));
    const typo = `${text.slice(0, 55)}${text[55] === 'A' ? 'B' : 'A'}`;
    try {
      parseRecoveryKey(typo);
      expect.unreachable();
    } catch (error) {
      expect(JSON.stringify(error)).not.toContain(typo.slice(0, 8));
      expect(String(error)).not.toContain(typo.slice(0, 8));
    }
  });
});
