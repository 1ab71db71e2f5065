import { describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit.ts';

/** A scheduler the test runs by hand, so batching is deterministic. */
function manual() {
  const queued: (() => void)[] = [];
  return {
    schedule: (flush: () => void) => queued.push(flush),
    run: () => {
      for (const flush of queued.splice(0)) flush();
    },
  };
}

describe('GroupCommit', () => {
  it('applies everything submitted before a flush as one batch and answers each submitter in order', async () => {
    const clock = manual();
    const batches: number[][] = [];
    const commit = new GroupCommit<number, number>({
      runBatch: (inputs) => {
        batches.push([...inputs]);
        return inputs.map((n) => n * 10);
      },
      runOne: () => {
        throw new Error('not expected');
      },
      schedule: clock.schedule,
    });
    const answers = [1, 2, 3].map((n) => commit.submit(n));
    clock.run();
    expect(await Promise.all(answers)).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('retries each input alone after a failed batch, so one bad write fails only itself', async () => {
    const clock = manual();
    const commit = new GroupCommit<number, number>({
      runBatch: () => {
        throw new Error('constraint');
      },
      runOne: (n) => {
        if (n === 2) throw new Error('bad write');
        return n;
      },
      schedule: clock.schedule,
    });
    const answers = [1, 2, 3].map((n) => commit.submit(n).then(String, (e: Error) => e.message));
    clock.run();
    expect(await Promise.all(answers)).toEqual(['1', 'bad write', '3']);
  });

  it('caps a batch and flushes the rest in the next turn', async () => {
    const clock = manual();
    const sizes: number[] = [];
    const commit = new GroupCommit<number, number>({
      runBatch: (inputs) => {
        sizes.push(inputs.length);
        return [...inputs];
      },
      runOne: (n) => n,
      maxBatch: 2,
      schedule: clock.schedule,
    });
    const answers = [1, 2, 3, 4, 5].map((n) => commit.submit(n));
    clock.run();
    await Promise.resolve();
    await Promise.resolve();
    clock.run();
    await Promise.resolve();
    await Promise.resolve();
    clock.run();
    expect(await Promise.all(answers)).toEqual([1, 2, 3, 4, 5]);
    expect(sizes).toEqual([2, 2, 1]);
  });
});
