/** Stands in for lib/events.ts in the UI preview: no worker, no events. */
import type { PageEvent } from '../../lib/events.ts';

export type { PageEvent };

export function subscribe(_listener: (event: PageEvent) => void): () => void {
  return () => {};
}
