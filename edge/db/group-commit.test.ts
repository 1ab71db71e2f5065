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

  it('waits for a write lock held elsewhere without failing, then commits everything that joined meanwhile', async () => {
    const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    let attempts = 0;
    const batches: number[][] = [];
    const commit = new GroupCommit<number, number>({
      runBatch: (inputs) => {
        if (++attempts <= 2) throw busy;
        batches.push([...inputs]);
        return [...inputs];
      },
      runOne: () => {
        throw new Error('not expected');
      },
      isBusy: (e) => (e as { code?: string }).code === 'SQLITE_BUSY',
    });
    const first = commit.submit(1);
    await new Promise((r) => setTimeout(r, 1));
    const second = commit.submit(2);
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(attempts).toBe(3);
    expect(batches.flat()).toEqual([1, 2]);
  });

  it('gives up on a lock held past busyTimeoutMs and fails the writes', async () => {
    const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    let clock = 0;
    const commit = new GroupCommit<number, number>({
      runBatch: () => {
        clock += 100;
        throw busy;
      },
      runOne: () => {
        throw busy;
      },
      isBusy: () => true,
      busyTimeoutMs: 250,
      now: () => clock,
    });
    await expect(commit.submit(1)).rejects.toThrow('database is locked');
  });
});
