/**
 * The one property every decoder of untrusted bytes must have: for any input
 * it returns a value or throws a ParleyError with one of its own codes; never
 * a TypeError, RangeError or foreign error, never a hang. Inputs come from
 * `untrustedBytes`: random bytes, random bytes behind a valid prefix (so the
 * decoder gets past its version and type checks), and valid encodings cut
 * short, extended or with bytes changed.
 */
import fc from 'fast-check';
import { concat } from '../bytes.ts';
import { isParleyError } from '../errors.ts';

export interface UntrustedBytesOptions {
  /** Valid leading bytes (version, type) to put random bytes behind. */
  readonly prefixes?: readonly Uint8Array[];
  /** Valid encodings to damage. */
  readonly samples?: readonly Uint8Array[];
  readonly maxLength?: number;
}

/** Copies into a fresh ArrayBuffer-backed array (fast-check may hand out views). */
function plain(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  return out;
}

/** `valid` truncated, extended, or with one to four bytes changed. */
export function damaged(valid: Uint8Array): fc.Arbitrary<Uint8Array<ArrayBuffer>> {
  const variants: fc.Arbitrary<Uint8Array<ArrayBuffer>>[] = [
    fc.nat(valid.length).map((n) => plain(valid.subarray(0, n))),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((extra) => concat(valid, extra)),
  ];
  if (valid.length > 0) {
    variants.push(
      fc
        .array(fc.tuple(fc.nat(valid.length - 1), fc.nat(255)), { minLength: 1, maxLength: 4 })
        .map((changes) => {
          const out = plain(valid);
          for (const [at, value] of changes) out[at] = value;
          return out;
        }),
    );
  }
  return fc.oneof(...variants);
}

export function untrustedBytes(
  options: UntrustedBytesOptions = {},
): fc.Arbitrary<Uint8Array<ArrayBuffer>> {
  const maxLength = options.maxLength ?? 600;
  const random = fc.uint8Array({ maxLength }).map(plain);
  const prefixed = (options.prefixes ?? []).map((prefix) =>
    fc.uint8Array({ maxLength }).map((rest) => concat(prefix, rest)),
  );
  const near = (options.samples ?? []).map(damaged);
  return fc.oneof(random, ...prefixed, ...near);
}

/** What `decode` threw, if it was not one of `codes`; undefined when it behaved. */
export async function misbehaviour<T>(
  decode: (input: T) => unknown,
  input: T,
  codes: readonly string[],
): Promise<string | undefined> {
  try {
    await decode(input);
    return undefined;
  } catch (e) {
    if (isParleyError(e) && codes.includes(e.code)) return undefined;
    if (isParleyError(e)) return `ParleyError ${e.code}: ${e.message}`;
    return e instanceof Error ? `${e.name}: ${e.message}` : `non-error ${String(e)}`;
  }
}

/**
 * Asserts the property over `inputs`: each decode returns, or throws a
 * ParleyError with a code in `codes`, within `timeoutMs`.
 */
export async function assertDecoderTotal<T>(
  inputs: fc.Arbitrary<T>,
  decode: (input: T) => unknown,
  codes: readonly string[],
  { numRuns = 1000, timeoutMs = 2000 }: { numRuns?: number; timeoutMs?: number } = {},
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(inputs, async (input) => {
      const wrong = await misbehaviour(decode, input, codes);
      if (wrong !== undefined) throw new Error(`decoder threw ${wrong}`);
    }),
    { numRuns, timeout: timeoutMs, includeErrorInReport: true },
  );
}
