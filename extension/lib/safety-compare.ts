/**
 * Comparing a safety number someone sent (pasted from a message, an email, a
 * note) with ours. Both sides show the same 60 digits (shared/crypto/
 * safety-number.ts), so only the digits count: spaces, line breaks and
 * punctuation from wherever it was copied are ignored.
 *
 * Runs anywhere.
 */

export const SAFETY_DIGITS = 60;

export type SafetyComparison =
  | { readonly kind: 'empty' }
  | { readonly kind: 'incomplete'; readonly digits: number }
  | { readonly kind: 'match' }
  | { readonly kind: 'mismatch' };

export function compareSafetyNumber(ours: readonly string[], pasted: string): SafetyComparison {
  const theirs = pasted.replace(/\D/g, '');
  if (theirs === '') return { kind: 'empty' };
  if (theirs.length !== SAFETY_DIGITS) return { kind: 'incomplete', digits: theirs.length };
  return theirs === ours.join('') ? { kind: 'match' } : { kind: 'mismatch' };
}

/** What the contact page says about a comparison; null when there is nothing to say yet. */
export function describeComparison(result: SafetyComparison, handle: string): string | null {
  switch (result.kind) {
    case 'empty':
      return null;
    case 'incomplete':
      return `A safety number has ${SAFETY_DIGITS} digits; this has ${result.digits}.`;
    case 'match':
      return `It matches: the number @${handle} sent is the one shown here.`;
    case 'mismatch':
      return `It does not match. Do not mark @${handle} as verified: compare again in person or on a call.`;
  }
}
