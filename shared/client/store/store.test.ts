import { describe, expect, it } from 'vitest';
import { createMemoryStorage } from './store.ts';

const b = (n: number) => new Uint8Array([n]);

describe('memory record store', () => {
  it('lists a prefix in order, with after/limit/reverse', async () => {
    const { records } = createMemoryStorage();
    await records.write([
      { op: 'set', key: 'm/a/3', value: b(3) },
      { op: 'set', key: 'm/a/1', value: b(1) },
      { op: 'set', key: 'm/a/2', value: b(2) },
      { op: 'set', key: 'm/b/1', value: b(9) },
    ]);
    const keysOf = (rows: Array<readonly [string, Uint8Array]>) => rows.map(([k]) => k);
    expect(keysOf(await records.list('m/a/'))).toEqual(['m/a/1', 'm/a/2', 'm/a/3']);
    expect(keysOf(await records.list('m/a/', { after: 'm/a/1', limit: 1 }))).toEqual(['m/a/2']);
    expect(keysOf(await records.list('m/a/', { reverse: true, limit: 2 }))).toEqual([
      'm/a/3',
      'm/a/2',
    ]);
    expect(keysOf(await records.list('m/a/', { reverse: true, after: 'm/a/2' }))).toEqual([
      'm/a/1',
    ]);
  });

  it('returns copies, so callers cannot mutate stored bytes', async () => {
    const { records } = createMemoryStorage();
    const v = b(1);
    await records.write([{ op: 'set', key: 'k', value: v }]);
    v[0] = 7;
    const got = await records.get('k');
    expect(got).toEqual(b(1));
    if (got) got[0] = 8;
    expect(await records.get('k')).toEqual(b(1));
  });

  it('deletes', async () => {
    const { records } = createMemoryStorage();
    await records.write([{ op: 'set', key: 'k', value: b(1) }]);
    await records.write([{ op: 'delete', key: 'k' }]);
    expect(await records.get('k')).toBeUndefined();
  });
});
