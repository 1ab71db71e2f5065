/**
 * Follows the worker's running link (docs/extension.md, "Linked devices"):
 * reads `linkStatus` at once, again on every `link` event, and every second
 * as a fallback (a worker restarted mid-way sends no event). Returns a stop
 * function.
 *
 * Runs in: pages.
 */
import { subscribe } from './events.ts';
import type { LinkState } from './protocol.ts';
import { call } from './rpc-client.ts';

const POLL_MS = 1000;

export function followLink(onState: (state: LinkState) => void): () => void {
  let stopped = false;
  const read = (): void => {
    void call('linkStatus').then(
      (s) => {
        if (!stopped) onState(s);
      },
      () => undefined,
    );
  };
  read();
  const timer = setInterval(read, POLL_MS);
  const events = subscribe((event) => {
    if (event.type === 'link' || event.type === 'resync') read();
  });
  return () => {
    stopped = true;
    clearInterval(timer);
    events.close();
  };
}
