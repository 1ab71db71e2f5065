/** What a call threw, as a comparable value: the ParleyError code and field, or a marker. */
import { isParleyError } from '../../errors.ts';

export interface Outcome {
  readonly code: string;
  readonly field?: string;
}

function outcomeOf(e: unknown): Outcome {
  if (!isParleyError(e)) return { code: `non-Parley ${e instanceof Error ? e.name : typeof e}` };
  const field = e.details?.field;
  return typeof field === 'string' ? { code: e.code, field } : { code: e.code };
}

/** Runs `f` and reports how it failed ({ code: 'no error' } if it did not). */
export async function failure(f: () => unknown): Promise<Outcome> {
  try {
    await f();
  } catch (e) {
    return outcomeOf(e);
  }
  return { code: 'no error' };
}

export async function failureCode(f: () => unknown): Promise<string> {
  return (await failure(f)).code;
}
