/** Test helper: the ParleyError a call throws (anything else it throws, or no error, fails the test). */
import { ParleyError } from '../errors.ts';

export function errorOf(run: () => unknown): ParleyError {
  try {
    run();
  } catch (e) {
    if (e instanceof ParleyError) return e;
    throw e;
  }
  throw new Error('expected a ParleyError');
}
