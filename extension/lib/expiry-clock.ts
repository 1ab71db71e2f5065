/**
 * The loaded messages that have not disappeared yet, recomputed only when the
 * next countdown actually ends (one timer for the soonest expiry), not on a
 * clock tick: the history keeps its rows between expiries
 * (lib/expiry-schedule.ts; docs/extension.md, "Reading and unread").
 * Disappearing messages leave the view at their time even before the
 * worker's sweep.
 *
 * Runs in: pages (Solid).
 */
import { type Accessor, createEffect, createMemo, createSignal, onCleanup } from 'solid-js';
import { nextExpiry, unexpired } from './expiry-schedule.ts';
import type { MessageView } from './protocol.ts';

/** setTimeout's longest delay; a later expiry is looked at again then. */
const MAX_DELAY_MS = 2_147_483_647;

export function createUnexpired(
  messages: Accessor<readonly MessageView[]>,
): Accessor<readonly MessageView[]> {
  const [at, setAt] = createSignal(Date.now());
  createEffect(() => {
    const next = nextExpiry(messages(), at());
    if (next === null) return;
    const timer = setTimeout(
      () => setAt(Math.max(Date.now(), next)),
      Math.min(MAX_DELAY_MS, Math.max(0, next - Date.now())),
    );
    onCleanup(() => clearTimeout(timer));
  });
  // Read the clock too: a message that arrives already past its time leaves at once.
  return createMemo(() => unexpired(messages(), Math.max(at(), Date.now())));
}
