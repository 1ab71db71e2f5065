/**
 * One change at a time from a page or notice: `busy` while it runs (buttons
 * wait), and its error, as a sentence for people, if it fails. A new run
 * clears the last error; `after` runs only on success.
 */
import { createSignal } from 'solid-js';
import { describeError } from './errors.ts';

export function useAction() {
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  const run = async (action: () => Promise<unknown>, after?: () => void) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      after?.();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}
