/**
 * Warnings of a Redis outage, at most one line per event every 5 s: an
 * outage must not flood the log. Only the error's name is logged.
 */
import type { Logger } from '../observability/log.ts';

const EVERY_MS = 5000;

export class ThrottledWarn {
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #warnedAt = new Map<string, number>();

  constructor(log: Logger, now: () => number) {
    this.#log = log;
    this.#now = now;
  }

  warn(event: string, error: unknown): void {
    const now = this.#now();
    const last = this.#warnedAt.get(event) ?? 0;
    if (now - last < EVERY_MS) return;
    this.#warnedAt.set(event, now);
    this.#log.warn(event, { error: error instanceof Error ? error.name : 'unknown' });
  }
}
