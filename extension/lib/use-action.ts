/**
 * One change at a time from a page or notice: `busy` while it runs, and its
 * error, as a sentence for people, if it fails. A run asked for while one is
 * busy is ignored, so buttons stay focusable while busy (aria-disabled, not
 * disabled: a disabled button drops keyboard focus). A new run clears the
 * last error; `after` runs only on success.
 */
import { createSignal } from 'solid-js';
import { describeError } from './errors.ts';

export function useAction() {
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  const run = async (action: () => Promise<unknown>, after?: () => void) => {
    if (busy()) return;
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
