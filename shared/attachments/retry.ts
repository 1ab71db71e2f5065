/**
 * Retrying one relay request of an upload or download: retryable codes
 * (shared/errors.ts `isRetryable`: unreachable, rate limited, relay failure,
 * draining) are tried again with exponential backoff and jitter, up to a
 * bound; every other outcome is final. The wait ends early on abort.
 */

import type { Timers } from '../client/deps.ts';
import { randomFraction } from '../client/deps.ts';
import { type BackoffPolicy, backoffDelay } from '../client/relay/backoff.ts';
import type { Random } from '../crypto/random.ts';
import { isRetryable, ParleyError } from '../errors.ts';

/** What transfers take from their platform (shared/ does no I/O of its own). */
export interface TransferDeps {
  readonly fetch: (input: string, init?: RequestInit) => Promise<Response>;
  readonly timers: Timers;
  /** Jitter for retries (and fresh file keys). */
  readonly random: Random;
}

export interface RetryOptions {
  /** Attempts in all, first included (default 6). */
  readonly attempts?: number;
  readonly policy?: BackoffPolicy;
}

/** A transfer's schedule: shorter than the socket's reconnect schedule, since a part is small. */
export const TRANSFER_BACKOFF: BackoffPolicy = {
  baseMs: 500,
  maxMs: 15_000,
  recentCapMs: 15_000,
  recentWindowMs: 0,
};

const DEFAULT_ATTEMPTS = 6;

function sleep(timers: Timers, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      timers.clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = timers.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export async function withRetry<T>(
  request: () => Promise<T>,
  deps: Pick<TransferDeps, 'timers' | 'random'>,
  options: RetryOptions = {},
  signal?: AbortSignal,
): Promise<T> {
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await request();
    } catch (e) {
      const retry = e instanceof ParleyError && isRetryable(e.code) && attempt < attempts;
      if (!retry || signal?.aborted === true) throw e;
      const fraction = randomFraction(deps.random);
      await sleep(
        deps.timers,
        backoffDelay(attempt, fraction, options.policy ?? TRANSFER_BACKOFF),
        signal,
      );
    }
  }
}
