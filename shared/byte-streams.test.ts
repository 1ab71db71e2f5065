import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  readAhead,
  readStream,
  rechunk,
  splitHead,
  toReadableStream,
  withLast,
} from './byte-streams.ts';
import { concat } from './bytes.ts';

async function* from(parts: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* parts;
}

async function all<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

const partsArb = fc.array(fc.uint8Array({ maxLength: 50 }), { maxLength: 8 });

describe('byte streams', () => {
  it('rechunk: same bytes, pieces of exactly `size` but the last, never an empty one', async () => {
    await fc.assert(
      fc.asyncProperty(partsArb, fc.integer({ min: 1, max: 40 }), async (parts, size) => {
        const pieces = await all(rechunk(from(parts), size));
        expect(concat(...pieces)).toEqual(concat(...parts));
        pieces.forEach((p, i) => {
          if (i < pieces.length - 1) expect(p.length).toBe(size);
          else expect(p.length).toBeGreaterThan(0);
        });
      }),
    );
  });

  it('rechunk with a first size: the first piece that long, the rest `size`, the last shorter', async () => {
    await fc.assert(
      fc.asyncProperty(
        partsArb,
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        async (parts, size, firstSize) => {
          const pieces = await all(rechunk(from(parts), size, firstSize));
          expect(concat(...pieces)).toEqual(concat(...parts));
          pieces.forEach((p, i) => {
            const want = i === 0 ? firstSize : size;
            if (i < pieces.length - 1) expect(p.length).toBe(want);
            else expect(p.length).toBeGreaterThan(0);
            expect(p.length).toBeLessThanOrEqual(want);
          });
        },
      ),
    );
  });

  it('rechunk with a first size keeps whole chunks as views when they line up', async () => {
    const a = Uint8Array.from({ length: 3 }, (_, i) => i);
    const b = Uint8Array.from({ length: 5 }, (_, i) => 3 + i);
    const c = Uint8Array.from({ length: 5 }, (_, i) => 8 + i);
    const pieces = await all(rechunk(from([a, b, c]), 5, 3));
    expect(pieces.map((p) => p.length)).toEqual([3, 5, 5]);
    expect(pieces.map((p, i) => p.buffer === [a, b, c][i]?.buffer)).toEqual([true, true, true]);
    await expect(all(rechunk(from([a]), 5, 0))).rejects.toThrow(RangeError);
  });

  it('rechunk: a piece within one source chunk is a view of it, one across chunks a copy', async () => {
    const big = Uint8Array.from({ length: 10 }, (_, i) => i);
    const tail = new Uint8Array([10, 11, 12]);
    const pieces = await all(rechunk(from([big, tail]), 4));
    expect(pieces.map((p) => [...p])).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12]]);
    expect(pieces.map((p) => p.buffer === big.buffer)).toEqual([true, true, false, false]);
    expect(pieces[3]?.buffer === tail.buffer).toBe(false);
  });

  it('withLast flags only the final item; readAhead keeps order', async () => {
    expect(await all(withLast(from([])))).toEqual([]);
    const items = [new Uint8Array([1]), new Uint8Array([2]), new Uint8Array([3])];
    expect((await all(withLast(from(items)))).map(([, last]) => last)).toEqual([
      false,
      false,
      true,
    ]);
    expect(await all(readAhead(from(items)))).toEqual(items);
  });

  it('readAhead passes a failure through', async () => {
    async function* failing(): AsyncGenerator<number> {
      yield 1;
      throw new Error('boom');
    }
    await expect(all(readAhead(failing()))).rejects.toThrow('boom');
  });

  it('splitHead takes the first n bytes and continues with the rest', async () => {
    await fc.assert(
      fc.asyncProperty(partsArb, fc.integer({ min: 0, max: 60 }), async (parts, n) => {
        const whole = concat(...parts);
        const { head, rest } = await splitHead(from(parts), n);
        expect(head).toEqual(whole.subarray(0, n));
        expect(concat(...(await all(rest)))).toEqual(whole.subarray(n));
      }),
    );
  });

  it('a ReadableStream and an async iterable convert both ways', async () => {
    const parts = [new Uint8Array([1, 2]), new Uint8Array([3])];
    expect(await all(readStream(toReadableStream(from(parts))))).toEqual(parts);
  });
});
