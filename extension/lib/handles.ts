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

/**
 * The sentence for input that is not a handle: nothing typed (or only "@")
 * asks for one instead of reciting the whole rule at someone who has not
 * started yet.
 */
export function handleProblem(input: string): string {
  return input.trim().replace(/^@+/, '').trim() === '' ? 'Enter a handle.' : `Use ${HANDLE_RULE}.`;
}

/** "@bob, carol  dave" → canonical handles; `bad` is the first entry that is not a handle. */
export function parseHandles(input: string): { handles: string[]; bad: string | null } {
  const handles: string[] = [];
  for (const part of input.split(/[\s,;]+/)) {
    if (part === '') continue;
    const handle = canonicalHandle(part);
    if (handle === null) return { handles, bad: part };
    if (!handles.includes(handle)) handles.push(handle);
  }
  return { handles, bad: null };
}
