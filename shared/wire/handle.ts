/**
 * Handles: the public names people type to find each other ("alice", "bob.k").
 * One canonical spelling per handle, so that lookups, uniqueness and what a
 * person reads agree:
 *   1. reject input longer than HANDLE_INPUT_MAX_CHARS (NFKC may expand text);
 *   2. trim surrounding whitespace and drop one leading "@";
 *   3. Unicode NFKC (fullwidth "ａｌｉｃｅ" -> "alice"), then lowercase;
 *   4. what remains must be 3-32 characters of [a-z0-9_.], start with a letter
 *      or digit, not end with ".", and have no "..".
 * Anything else (other scripts, symbols, look-alikes that survive NFKC) is
 * rejected rather than mapped: ASCII-only handles cannot be spoofed with
 * confusable characters.
 */
import { ErrorCode, fail } from '../errors.ts';
import { HANDLE_INPUT_MAX_CHARS, HANDLE_MAX_CHARS, HANDLE_MIN_CHARS } from './limits.ts';

const CANONICAL = /^[a-z0-9][a-z0-9_.]*$/;

/** True when `text` is already a canonical handle (what the wire carries). */
export function isCanonicalHandle(text: string): boolean {
  return (
    text.length >= HANDLE_MIN_CHARS &&
    text.length <= HANDLE_MAX_CHARS &&
    CANONICAL.test(text) &&
    !text.endsWith('.') &&
    !text.includes('..')
  );
}

/**
 * Turns user input into the canonical handle, or throws ParleyError
 * HANDLE_INVALID with `details.reason` one of: length, characters, start,
 * dots. The input itself is never echoed.
 */
export function normalizeHandle(input: string): string {
  if (typeof input !== 'string' || input.length > HANDLE_INPUT_MAX_CHARS) {
    fail(
      ErrorCode.HANDLE_INVALID,
      `Handle must be ${HANDLE_MIN_CHARS}-${HANDLE_MAX_CHARS} characters`,
      {
        reason: 'length',
      },
    );
  }
  let text = input.trim();
  if (text.startsWith('@')) text = text.slice(1);
  text = text.normalize('NFKC').toLowerCase();
  if (text.length < HANDLE_MIN_CHARS || text.length > HANDLE_MAX_CHARS) {
    fail(
      ErrorCode.HANDLE_INVALID,
      `Handle must be ${HANDLE_MIN_CHARS}-${HANDLE_MAX_CHARS} characters`,
      {
        reason: 'length',
      },
    );
  }
  if (!/^[a-z0-9_.]*$/.test(text)) {
    fail(ErrorCode.HANDLE_INVALID, 'Handle may only contain a-z, 0-9, "_" and "."', {
      reason: 'characters',
    });
  }
  if (!/^[a-z0-9]/.test(text)) {
    fail(ErrorCode.HANDLE_INVALID, 'Handle must start with a letter or digit', { reason: 'start' });
  }
  if (text.endsWith('.') || text.includes('..')) {
    fail(ErrorCode.HANDLE_INVALID, 'Handle may not end with "." or contain ".."', {
      reason: 'dots',
    });
  }
  return text;
}
