/**
 * The runtime's clock and timers, in one place. edge/ws and edge/fanout take
 * them as parameters (the lint forbids the globals there), so their logic can
 * be driven by a test without sleeping; this is the one module that binds
 * them to the real ones.
 */

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

type Handle = ReturnType<typeof setTimeout>;

export const systemTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as Handle),
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearInterval: (handle) => clearInterval(handle as Handle),
};

export const systemNow = (): number => Date.now();
