/**
 * Per-sender sequence numbers in groups (pure). Every stored group message a
 * device sends carries the next number of its own counter for that group,
 * inside the ciphertext, so the relay can neither drop nor reorder one
 * unnoticed: a receiver that sees a number beyond the one it expects shows
 * a gap in the timeline ("More is Less", Rösler et al. 2018). A sender key
 * distribution carries the counter's value at that moment, which sets where
 * a new receiver starts (it cannot have missed what came before it joined).
 *
 * The relay can still hold back the newest messages (a tail drop is visible
 * only when the next message arrives); docs/protocol.md notes this.
 */

export interface Gap {
  /** First missing sequence number. */
  readonly from: number;
  readonly count: number;
}

export interface SequenceStep {
  /** The number expected next. */
  readonly next: number;
  /** Messages that should have arrived before this one and did not. */
  readonly gap?: Gap;
  /** Older than expected: arrived after a gap was reported, or a replay. */
  readonly late: boolean;
}

/** A message with `seq` arrived; `next` is what we expected (undefined: nothing known yet). */
export function observeMessage(next: number | undefined, seq: number): SequenceStep {
  if (next === undefined || seq === next) return { next: seq + 1, late: false };
  if (seq > next) return { next: seq + 1, gap: { from: next, count: seq - next }, late: false };
  return { next, late: true };
}

/** A sender key distribution announced that the sender's next message is `seq`. */
export function observeDistribution(next: number | undefined, seq: number): SequenceStep {
  if (next === undefined || seq === next) return { next: seq, late: false };
  if (seq > next) return { next: seq, gap: { from: next, count: seq - next }, late: false };
  return { next, late: true };
}
