/**
 * Reconnect delays: exponential backoff with "equal jitter" (half the delay
 * fixed, half random), so a relay restart is not met by every client at the
 * same instant, while no client waits much less than the schedule says.
 *
 *   attempt n (1 = first retry): d = min(maxMs, baseMs * 2^(n-1));  delay = d/2 + random * d/2
 *
 * Pure: the random fraction comes in as an argument.
 */
export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 60_000 };

export function backoffDelay(
  attempt: number,
  fraction: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): number {
  const n = Math.max(1, Math.floor(attempt));
  const capped = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(n - 1, 30));
  const f = Number.isFinite(fraction) ? Math.min(Math.max(fraction, 0), 1) : 0;
  return Math.round(capped / 2 + (f * capped) / 2);
}
