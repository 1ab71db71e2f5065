import { describe, expect, it } from 'vitest';
import { mapAhead } from './map-ahead.ts';

/** A step whose calls finish when the test says so (or aborted), recording what is running. */
function controlledStep() {
  const running = new Map<number, { resolve: (v: number) => void; reject: (e: unknown) => void }>();
  const signals: AbortSignal[] = [];
  let maxRunning = 0;
  const step = (_item: number, index: number, signal: AbortSignal) => {
    signals[index] = signal;
    return new Promise<number>((resolve, reject) => {
      running.set(index, { resolve, reject });
      maxRunning = Math.max(maxRunning, running.size);
      // As fetch does: an aborted step rejects with the reason.
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    }).finally(() => running.delete(index));
  };
  return {
    step,
    running,
    signals,
    get maxRunning() {
      return maxRunning;
    },
    finish(index: number, value = index * 10) {
      running.get(index)?.resolve(value);
    },
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

async function all<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

describe('mapAhead', () => {
  it('yields results in source order whatever order the steps finish in', async () => {
    const delays = [30, 5, 20, 1, 10, 0, 15];
    const out = await all(
      mapAhead(delays, 3, (ms, i) => new Promise<number>((r) => setTimeout(() => r(i), ms))),
    );
    expect(out).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('works over async sources and empty ones', async () => {
    async function* source() {
      yield 'a';
      yield 'b';
    }
    expect(await all(mapAhead(source(), 4, async (s, i) => `${s}${i}`))).toEqual(['a0', 'b1']);
    expect(await all(mapAhead([], 2, async () => 1))).toEqual([]);
  });

  it('never has more than `limit` items started and not yet moved past', async () => {
    const c = controlledStep();
    const items = Array.from({ length: 10 }, (_, i) => i);
    const it = mapAhead(items, 3, c.step)[Symbol.asyncIterator]();
    const first = it.next();
    await tick();
    expect([...c.running.keys()]).toEqual([0, 1, 2]);
    c.finish(2);
    c.finish(1);
    await tick();
    // 1 and 2 are done but not consumed: still nothing new may start.
    expect(c.running.size).toBe(1);
    c.finish(0);
    expect((await first).value).toBe(0);
    await tick();
    // The consumer holds item 0: items 1 and 2 wait, so 3 has not started.
    expect([...c.running.keys()]).toEqual([]);
    const second = it.next();
    await tick();
    expect((await second).value).toBe(10);
    expect([...c.running.keys()]).toEqual([3]);
    for (let i = 2; i < 10; i++) {
      const next = it.next();
      await tick();
      for (const index of c.running.keys()) c.finish(index);
      await next;
    }
    expect(c.maxRunning).toBeLessThanOrEqual(3);
    expect((await it.next()).done).toBe(true);
  });

  it('a failed step fails the map in order, after the earlier results, and aborts the rest', async () => {
    const c = controlledStep();
    const got: number[] = [];
    const done = (async () => {
      for await (const v of mapAhead([0, 1, 2, 3], 4, c.step)) got.push(v);
    })();
    await tick();
    c.running.get(2)?.reject(new Error('chunk 2 failed'));
    c.finish(0);
    c.finish(1);
    await expect(done).rejects.toThrow('chunk 2 failed');
    expect(got).toEqual([0, 10]);
    expect(c.signals[3]?.aborted).toBe(true);
  });

  it('a consumer stopping mid-flight aborts the running steps and closes the source', async () => {
    const c = controlledStep();
    let closed = false;
    function* source() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    const it = mapAhead(source(), 3, c.step)[Symbol.asyncIterator]();
    const first = it.next();
    await tick();
    c.finish(0);
    expect((await first).value).toBe(0);
    await it.return(undefined);
    // Settled only once the aborted steps had.
    expect(c.running.size).toBe(0);
    expect(c.signals.slice(0, 3).map((s) => s.aborted)).toEqual([true, true, true]);
    expect(closed).toBe(true);
  });

  it("an aborted signal ends the map with its reason and aborts the steps' signals", async () => {
    const c = controlledStep();
    const controller = new AbortController();
    const done = all(mapAhead([0, 1, 2], 2, c.step, controller.signal));
    await tick();
    controller.abort(new Error('closed'));
    c.running.get(0)?.reject(controller.signal.reason);
    await expect(done).rejects.toThrow('closed');
    expect(c.signals[1]?.reason).toBe(controller.signal.reason);
    const already = all(mapAhead([0], 1, async () => 0, controller.signal));
    await expect(already).rejects.toThrow('closed');
  });

  it('yields a finished item while the source is still slow to give the next', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    async function* source() {
      yield 1;
      await gate;
      yield 2;
    }
    const it = mapAhead(source(), 4, async (n) => n * 10)[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe(10);
    release();
    expect((await it.next()).value).toBe(20);
    expect((await it.next()).done).toBe(true);
  });

  it('a failing source fails the map after the items it gave', async () => {
    async function* source() {
      yield 1;
      yield 2;
      throw new Error('file changed');
    }
    const got: number[] = [];
    const done = (async () => {
      for await (const v of mapAhead(source(), 4, async (n) => n)) got.push(v);
    })();
    await expect(done).rejects.toThrow('file changed');
    expect(got).toEqual([1, 2]);
  });

  it('refuses a limit below 1', async () => {
    await expect(all(mapAhead([1], 0, async () => 1))).rejects.toThrow(RangeError);
  });
});
