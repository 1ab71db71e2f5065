/**
 * Test-only: what a call came to, as one string a test can compare: 'ok',
 * the stable code of the ParleyError it threw, or the text of anything else.
 */
import { ParleyError } from '../../shared/errors.ts';

export async function outcomeOf(run: () => Promise<unknown> | unknown): Promise<string> {
  try {
    await run();
    return 'ok';
  } catch (e) {
    return e instanceof ParleyError ? e.code : String(e);
  }
}
