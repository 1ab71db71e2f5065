import { describe, expect, it } from 'vitest';
import type { FanoutSignal } from './fanout.ts';
import { MemoryFanout } from './memory.ts';

const alice1 = { accountId: 'alice', deviceId: 1 };

describe('MemoryFanout', () => {
  it('delivers signals to the current holder only', async () => {
    const fanout = new MemoryFanout();
    const got: FanoutSignal[] = [];
    await fanout.attach(alice1, 'c1', (s) => got.push(s));
    await fanout.signal(alice1, { type: 'queued', seq: 7 });
    await fanout.signal({ accountId: 'alice', deviceId: 2 }, { type: 'queued', seq: 8 });
    expect(got).toEqual([{ type: 'queued', seq: 7 }]);
  });

  it('tells the previous holder it was replaced, and a stale detach does not remove the new holder', async () => {
    const fanout = new MemoryFanout();
    const first: FanoutSignal[] = [];
    const second: FanoutSignal[] = [];
    const a = await fanout.attach(alice1, 'c1', (s) => first.push(s));
    await fanout.attach(alice1, 'c2', (s) => second.push(s));
    expect(first).toEqual([{ type: 'replaced', connectionId: 'c2' }]);
    await a.detach();
    await fanout.signal(alice1, { type: 'revoked' });
    expect(second).toEqual([{ type: 'revoked' }]);
    expect(fanout.localCount).toBe(1);
  });

  it('contains a throwing listener', async () => {
    const errors: unknown[] = [];
    const fanout = new MemoryFanout((e) => errors.push(e));
    await fanout.attach(alice1, 'c1', () => {
      throw new Error('boom');
    });
    await expect(fanout.signal(alice1, { type: 'revoked' })).resolves.toBeUndefined();
    expect(errors).toHaveLength(1);
  });
});
