/**
 * Tells the worker a person is using Parley (keys, clicks, scrolling), at most
 * every 20 s, so auto-lock counts idle time from the last real interaction and
 * not from the last background refresh.
 *
 * Runs in: pages.
 */
import { call } from './rpc-client.ts';

const THROTTLE_MS = 20_000;

export function reportActivity(target: Window = window): () => void {
  let last = 0;
  const onInput = () => {
    const now = Date.now();
    if (now - last < THROTTLE_MS) return;
    last = now;
    call('touch').catch(() => undefined);
  };
  const events = ['keydown', 'pointerdown', 'wheel'] as const;
  for (const name of events)
    target.addEventListener(name, onInput, { passive: true, capture: true });
  return () => {
    for (const name of events) target.removeEventListener(name, onInput, { capture: true });
  };
}
