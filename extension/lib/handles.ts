/**
 * Handles as the relay spells them (shared/wire/handle.ts is the one rule:
 * trim, drop "@", NFKC, lowercase, 3-32 of a-z 0-9 _ .). Pages use it to
 * tidy input and explain problems before a round trip; the worker uses it to
 * validate payloads.
 *
 * Runs anywhere.
 */
import { normalizeHandle } from '../../shared/wire/handle.ts';

export const HANDLE_RULE =
  '3–32 lowercase letters, digits, “_” or “.”, starting with a letter or digit';

/** The canonical handle, or null when the input cannot be one. */
export function canonicalHandle(input: string): string | null {
  try {
    return normalizeHandle(input);
  } catch {
    return null;
  }
}
