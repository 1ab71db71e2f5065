/**
 * How the composer talks about the message length limit: nothing while the
 * text is short, a counter near the limit, and a refusal over it. The zone is
 * what a screen reader hears about (only when it changes, so typing is not
 * narrated); the counter is for the eyes.
 *
 * Runs anywhere (pure).
 */

export type LimitZone = 'ok' | 'near' | 'over';

export interface TextLimitState {
  readonly zone: LimitZone;
  /** "15,900 / 16,384", shown from the near zone on; null before. */
  readonly counter: string | null;
  /** The sentence for the near and over zones (announced politely when the zone changes). */
  readonly message: string | null;
}

/** The counter appears when this share of the limit is used. */
export const NEAR_SHARE = 0.9;

const count = (n: number) => n.toLocaleString('en');

export function textLimitState(length: number, max: number): TextLimitState {
  if (length > max) {
    return {
      zone: 'over',
      counter: `${count(length)} / ${count(max)}`,
      message: `Too long to send: ${count(length)} characters, the limit is ${count(max)}. Remove ${count(length - max)} characters or split it into several messages.`,
    };
  }
  if (length >= Math.floor(max * NEAR_SHARE)) {
    const left = max - length;
    return {
      zone: 'near',
      counter: `${count(length)} / ${count(max)}`,
      message: `Near the length limit: ${count(left)} character${left === 1 ? '' : 's'} left.`,
    };
  }
  return { zone: 'ok', counter: null, message: null };
}
