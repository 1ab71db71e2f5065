/**
 * Test helper for expected errors (the one for the whole project, docs/errors.md):
 * the ParleyError a call throws. A call that returns a promise gives a promise of
 * it. Anything else thrown is rethrown, so the test fails on the real error; a
 * call that does not throw fails the test too. rejectionCode is the short form
 * for a table of outcomes: the code, or 'none' when the promise resolves.
 */
import { ParleyError } from '../errors.ts';

function expected(e: unknown): ParleyError<string> {
  if (e instanceof ParleyError) return e;
  throw e;
}

function noError(): never {
  throw new Error('expected a ParleyError, but the call succeeded');
}

export function errorOf(run: () => PromiseLike<unknown>): Promise<ParleyError<string>>;
export function errorOf(run: () => unknown): ParleyError<string>;
export function errorOf(run: () => unknown): ParleyError<string> | Promise<ParleyError<string>> {
  let result: unknown;
  try {
    result = run();
  } catch (e) {
    return expected(e);
  }
  if (result instanceof Promise) return result.then(noError, expected);
  return noError();
}

/** The code of the ParleyError `promise` rejects with, or 'none' if it resolves; anything else is rethrown. */
export async function rejectionCode(promise: PromiseLike<unknown>): Promise<string> {
  try {
    await promise;
    return 'none';
  } catch (e) {
    return expected(e).code;
  }
}
