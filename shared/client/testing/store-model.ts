/**
 * A naive RecordStore model for property tests of the real stores: a Map,
 * re-filtered and re-sorted on every `list` (what the stores did before they
 * kept their keys in order, sorted-keys.ts), plus fast-check commands that
 * interleave writes, deletes and paged lists and compare every answer.
 * Test-only.
 */
import fc from 'fast-check';
import type { ListOptions, RecordStore, StoreOperation } from '../store/store.ts';

export type ModelStep =
  | { readonly kind: 'write'; readonly ops: readonly StoreOperation[] }
  | { readonly kind: 'list'; readonly prefix: string; readonly options: ListOptions }
  | {
      readonly kind: 'walk';
      readonly prefix: string;
      readonly page: number;
      readonly reverse: boolean;
    };

/** Keys from a small alphabet, so prefixes, overwrites and deletes of present keys are common. */
const keyArb = fc.string({ unit: fc.constantFrom('a', 'b', '/', 'é', '\uffff'), maxLength: 5 });

const opArb: fc.Arbitrary<StoreOperation> = fc.oneof(
  fc.record({
    op: fc.constant('set' as const),
    key: keyArb,
    value: fc.uint8Array({ maxLength: 3 }),
  }),
  fc.record({ op: fc.constant('delete' as const), key: keyArb }),
);

export const modelStepArb: fc.Arbitrary<ModelStep> = fc.oneof(
  fc.record({ kind: fc.constant('write' as const), ops: fc.array(opArb, { maxLength: 6 }) }),
  fc.record({
    kind: fc.constant('list' as const),
    prefix: keyArb,
    options: fc.record(
      { after: keyArb, limit: fc.nat({ max: 6 }), reverse: fc.boolean() },
      { requiredKeys: [] },
    ),
  }),
  fc.record({
    kind: fc.constant('walk' as const),
    prefix: keyArb,
    page: fc.integer({ min: 1, max: 4 }),
    reverse: fc.boolean(),
  }),
);

/** What `list` must return: the pre-index implementation, kept as the reference. */
export function modelList(
  data: ReadonlyMap<string, Uint8Array>,
  prefix: string,
  options: ListOptions = {},
): Array<readonly [string, Uint8Array]> {
  let keys = [...data.keys()].filter((k) => k.startsWith(prefix)).sort();
  if (options.reverse) keys.reverse();
  const { after } = options;
  if (after !== undefined) keys = keys.filter((k) => (options.reverse ? k < after : k > after));
  if (options.limit !== undefined) keys = keys.slice(0, options.limit);
  return keys.map((k) => [k, data.get(k) as Uint8Array] as const);
}

function applyToModel(data: Map<string, Uint8Array>, ops: readonly StoreOperation[]): void {
  for (const o of ops) {
    if (o.op === 'set') data.set(o.key, o.value.slice());
    else data.delete(o.key);
  }
}

/** Every key under `prefix`, page by page, as the export walk does. */
export async function walkAll(
  store: RecordStore,
  prefix: string,
  page: number,
  reverse: boolean,
): Promise<Array<readonly [string, Uint8Array]>> {
  const out: Array<readonly [string, Uint8Array]> = [];
  let after: string | undefined;
  // A store that pages wrongly could hand back the same page forever.
  for (let pages = 0; pages < 10_000; pages++) {
    const rows = await store.list(prefix, {
      limit: page,
      reverse,
      ...(after === undefined ? {} : { after }),
    });
    out.push(...rows);
    if (rows.length < page) return out;
    after = rows[rows.length - 1]?.[0];
  }
  throw new Error('the paged walk did not end');
}

/**
 * Runs `steps` against `store` and the model `data` (which must hold what
 * the store holds; empty for a new store, and updated here); returns the
 * first mismatch as a message, or undefined when every answer matched.
 */
export async function firstMismatch(
  store: RecordStore,
  steps: readonly ModelStep[],
  data: Map<string, Uint8Array> = new Map(),
): Promise<string | undefined> {
  for (const [i, step] of steps.entries()) {
    if (step.kind === 'write') {
      await store.write(step.ops);
      applyToModel(data, step.ops);
      continue;
    }
    const got =
      step.kind === 'list'
        ? await store.list(step.prefix, step.options)
        : await walkAll(store, step.prefix, step.page, step.reverse);
    const want =
      step.kind === 'list'
        ? modelList(data, step.prefix, step.options)
        : modelList(data, step.prefix, { reverse: step.reverse });
    const show = (rows: Array<readonly [string, Uint8Array]>) =>
      JSON.stringify(rows.map(([k, v]) => [k, [...v]]));
    if (show(got) !== show(want)) return `step ${i}: got ${show(got)}, want ${show(want)}`;
  }
  return undefined;
}
