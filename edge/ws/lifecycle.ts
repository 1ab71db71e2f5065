/**
 * When a socket must go, decided from times and buffered bytes only (no
 * socket, no clock: the hub's tick passes `now`): no auth within the auth
 * timeout, no frame within the idle timeout, or a send buffer kept over the
 * back-pressure mark for longer than the slow-socket limit (a reader that
 * stopped reading: what is buffered stays in memory until the socket goes).
 */
import { MAX_BUFFERED_BYTES } from './delivery-window.ts';
import { CloseCode } from './socket.ts';

export interface LifecycleLimits {
  readonly authTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly slowSocketMs: number;
}

/** The limits as the relay's configuration states them (seconds). */
export function lifecycleLimits(config: {
  readonly wsAuthTimeoutSeconds: number;
  readonly wsIdleTimeoutSeconds: number;
  readonly wsSlowSocketSeconds: number;
}): LifecycleLimits {
  return {
    authTimeoutMs: config.wsAuthTimeoutSeconds * 1000,
    idleTimeoutMs: config.wsIdleTimeoutSeconds * 1000,
    slowSocketMs: config.wsSlowSocketSeconds * 1000,
  };
}

export type TickVerdict = 'keep' | 'auth-timeout' | 'idle' | 'too-slow';

/** How the socket is closed for each verdict but 'keep'. */
export const CLOSE_FOR: Readonly<
  Record<Exclude<TickVerdict, 'keep'>, { readonly code: number; readonly reason: string }>
> = {
  'auth-timeout': { code: CloseCode.TIMEOUT, reason: 'authentication timeout' },
  idle: { code: CloseCode.TIMEOUT, reason: 'idle' },
  'too-slow': { code: CloseCode.TOO_SLOW, reason: 'not reading' },
};

export class Lifecycle {
  readonly #limits: LifecycleLimits;
  readonly #openedAt: number;
  #lastFrameAt: number;
  /** Since when the send buffer has been over the mark. */
  #behindSince: number | undefined;

  constructor(limits: LifecycleLimits, openedAt: number) {
    this.#limits = limits;
    this.#openedAt = openedAt;
    this.#lastFrameAt = openedAt;
  }

  frameReceived(now: number): void {
    this.#lastFrameAt = now;
  }

  tick(now: number, authenticated: boolean, buffered: number): TickVerdict {
    if (!authenticated && now - this.#openedAt > this.#limits.authTimeoutMs) return 'auth-timeout';
    if (now - this.#lastFrameAt > this.#limits.idleTimeoutMs) return 'idle';
    if (buffered > MAX_BUFFERED_BYTES) {
      this.#behindSince ??= now;
      if (now - this.#behindSince > this.#limits.slowSocketMs) return 'too-slow';
    } else {
      this.#behindSince = undefined;
    }
    return 'keep';
  }
}

/** A transient copy (typing, presence) is dropped when the socket has this much unsent. */
export const TRANSIENT_MAX_BUFFERED_BYTES = 64 * 1024;

/**
 * Transient copies are best effort: dropped when the socket is behind (they
 * are stale by the time they would go out) and past the per-recipient budget,
 * so senders cannot use a socket that stopped reading, or a flood of typing
 * signals, to grow the relay's memory.
 */
export class TransientBudget {
  readonly #limit: number;
  readonly #windowMs: number;
  #windowStart = 0;
  #sent = 0;

  constructor(limit: number, windowMs: number) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  take(now: number, buffered: number): 'send' | 'behind' | 'budget' {
    if (buffered > TRANSIENT_MAX_BUFFERED_BYTES) return 'behind';
    if (now - this.#windowStart >= this.#windowMs) {
      this.#windowStart = now;
      this.#sent = 0;
    }
    if (this.#sent >= this.#limit) return 'budget';
    this.#sent++;
    return 'send';
  }
}
