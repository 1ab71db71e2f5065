/**
 * Waiting in tests and tools: poll for a condition, never sleep for a fixed
 * time (a slow machine then only makes a test take longer, never fail). Not
 * shipped (testing folders are outside the purity lint).
 */

/** Resolves after `ms` (between polls; not a way to wait for something to happen). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `check` every `everyMs` until it returns something other than
 * undefined or false, and resolves with that; rejects with "Timed out waiting
 * for <what>" after `timeoutMs`. `what` may be a function, read at the timeout
 * (to describe the state the wait gave up in). A `check` that throws ends the
 * wait with its error.
 */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string | (() => string),
  timeoutMs = 20_000,
  everyMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for ${typeof what === 'string' ? what : what()}`);
    }
    await sleep(everyMs);
  }
}

/** `waitFor` for a plain condition. */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  everyMs = 20,
): Promise<void> {
  await waitFor(condition, 'a condition', timeoutMs, everyMs);
}
