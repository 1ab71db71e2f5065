/**
 * Says genuinely new incoming messages to screen readers through its own
 * polite live region. The history (a virtualised log) is not live: rows
 * that render as the reader scrolls are old messages, and the reader's own
 * messages need no announcement (lib/arrivals.ts).
 */
import { createEffect, createSignal, type JSX } from 'solid-js';
import { announcement, arrivalsSince, newestId } from '../lib/arrivals.ts';
import type { MessageView } from '../lib/protocol.ts';

export function ArrivalAnnouncer(props: {
  messages: readonly MessageView[];
  /** The history that was there when the chat opened has loaded. */
  ready: boolean;
}): JSX.Element {
  const [said, setSaid] = createSignal('');
  let known: string | null = null;
  createEffect(() => {
    const list = props.messages;
    if (!props.ready) return;
    const newest = newestId(list);
    if (known === null) {
      known = newest;
      return;
    }
    const fresh = arrivalsSince(list, known);
    if (newest > known) known = newest;
    if (fresh.length > 0) setSaid(fresh.map(announcement).join('\n'));
  });
  return (
    <div class="sr-only" aria-live="polite" aria-atomic="true" data-testid="arrivals">
      {said()}
    </div>
  );
}
