/**
 * Reconnect delays: exponential backoff with "equal jitter" (half the delay
 * fixed, half random), so a relay restart is not met by every client at the
 * same instant, while no client waits much less than the schedule says.
 *
 *   attempt n (1 = first retry): d = min(maxMs, baseMs * 2^(n-1));  delay = d/2 + random * d/2
 *
 * A relay that was reachable a moment ago is most likely restarting or being
 * redeployed: for `recentWindowMs` after losing it, d is also capped at
 * `recentCapMs` (a few seconds), so clients come back within seconds of the
 * relay instead of after a 30-60 s step of the schedule. Only a relay that
 * stays unreachable longer than that (repeated failures) gets the long
 * schedule, which then starts again from `baseMs`.
 *
 * Pure: the random fraction and the downtime come in as arguments.
 */
export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
  /** Cap of d while the relay was reachable less than `recentWindowMs` ago. */
  readonly recentCapMs: number;
  readonly recentWindowMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  baseMs: 1_000,
  maxMs: 60_000,
  recentCapMs: 4_000,
  recentWindowMs: 2 * 60_000,
};

/** What the delay depends on besides the policy. */
export interface RetryContext {
  /** 1 for the first retry of a run of failures. */
  readonly attempt: number;
  /** Uniform in [0, 1]. */
  readonly fraction: number;
  /** How long ago the relay was last reachable (ms); undefined: not in this run of failures. */
  readonly downForMs?: number | undefined;
}

/** True while a lost relay still counts as "just reachable". */
export function recentlyReachable(
  downForMs: number | undefined,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): boolean {
  return downForMs !== undefined && downForMs >= 0 && downForMs < policy.recentWindowMs;
}

export function retryDelay(context: RetryContext, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const n = Number.isFinite(context.attempt) ? Math.max(1, Math.floor(context.attempt)) : 1;
  let capped = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(n - 1, 30));
  if (recentlyReachable(context.downForMs, policy)) capped = Math.min(capped, policy.recentCapMs);
  const f = Number.isFinite(context.fraction) ? Math.min(Math.max(context.fraction, 0), 1) : 0;
  return Math.round(capped / 2 + (f * capped) / 2);
}

/** The plain schedule (no recent-relay cap): `retryDelay` for a relay not reached in this run. */
export function backoffDelay(
  attempt: number,
  fraction: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): number {
  return retryDelay({ attempt, fraction }, policy);
}
