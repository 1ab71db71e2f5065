/**
 * One piece of data a page shows from the worker (a contact, a group, the
 * settings): read when the page mounts, read again when a worker event says
 * it changed (or after a re-sync, when events may have been missed), and
 * replaced by the answer to a change the page made. A failed read becomes a
 * sentence for people; a good one clears it.
 *
 * Runs in: pages (Solid).
 */
import { type Accessor, createSignal, onCleanup, onMount, type Signal } from 'solid-js';
import type { ParleyState } from './app-state.ts';
import { describeError } from './errors.ts';
import type { PageEvent } from './events.ts';

export interface PageData<T> {
  /** null until the first read succeeds. */
  readonly value: Accessor<T | null>;
  readonly error: Accessor<string | null>;
  /** Shows `value` (the worker's answer to a change) without reading again. */
  set(value: T): void;
  reload(): Promise<void>;
}

export function createPageData<T>(options: {
  read: () => Promise<T>;
  /** Live events: the data is read again when `stale` says an event concerns it. */
  events?: ParleyState['on'];
  stale?: (event: PageEvent, current: T | null) => boolean;
  /** Where a failed read is said: the page's own error line, shared with its changes. */
  error?: Signal<string | null>;
}): PageData<T> {
  const [value, setValue] = createSignal<T | null>(null);
  const [error, setError] = options.error ?? createSignal<string | null>(null);

  const reload = async () => {
    try {
      const next = await options.read();
      setValue(() => next);
      setError(null);
    } catch (e) {
      setError(describeError(e));
    }
  };

  onMount(() => {
    void reload();
    const { events, stale } = options;
    if (events === undefined || stale === undefined) return;
    onCleanup(
      events((event) => {
        if (stale(event, value())) void reload();
      }),
    );
  });

  return { value, error, set: (next) => setValue(() => next), reload };
}
