/**
 * Translates `RecordStore.list(prefix, { after, reverse })` into the bounds of
 * an IndexedDB key range, with the same meaning as the in-memory store in
 * shared/client/store.ts: keys that start with `prefix`, strictly after
 * `after` in the walking direction.
 *
 * Runs anywhere (pure).
 */

import type { ListOptions } from '../../../shared/client/store.ts';
import { prefixEnd } from '../../../shared/client/store.ts';

export interface KeyBounds {
  readonly lower: string;
  readonly upper: string;
  readonly lowerOpen: boolean;
  readonly upperOpen: boolean;
  readonly direction: 'next' | 'prev';
}

/** Bounds for the walk, or null when no key can match. */
export function listBounds(prefix: string, options: ListOptions = {}): KeyBounds | null {
  const end = prefixEnd(prefix);
  const { after } = options;
  if (options.reverse) {
    if (after !== undefined && after <= prefix) return null;
    const bounded = after !== undefined && after <= end;
    return {
      lower: prefix,
      upper: bounded ? after : end,
      lowerOpen: false,
      upperOpen: bounded,
      direction: 'prev',
    };
  }
  if (after !== undefined && after >= end) return null;
  const bounded = after !== undefined && after >= prefix;
  return {
    lower: bounded ? after : prefix,
    upper: end,
    lowerOpen: bounded,
    upperOpen: false,
    direction: 'next',
  };
}
