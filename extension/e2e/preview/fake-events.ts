/** Stands in for lib/events.ts in the UI preview: no worker, no events. */
import type { PageEvent, Subscription } from '../../lib/events.ts';

export type { PageEvent, Subscription };

export function subscribe(_listener: (event: PageEvent) => void): Subscription {
  return { viewing: () => {}, close: () => {} };
}
