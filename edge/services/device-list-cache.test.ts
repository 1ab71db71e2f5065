import { describe, expect, it } from 'vitest';
import { DeviceListCache } from './device-list-cache.ts';

describe('DeviceListCache', () => {
  it('serves a loaded list until it expires or is invalidated', async () => {
    let now = 0;
    let loads = 0;
    const db = new Map([['alice', [1, 2]]]);
    const cache = new DeviceListCache({
      load: async (a) => {
        loads++;
        return db.get(a) ?? [];
      },
      now: () => now,
      ttlMs: 1000,
    });
    expect(await cache.get('alice')).toEqual([1, 2]);
    db.set('alice', [1, 2, 3]);
    expect(await cache.get('alice')).toEqual([1, 2]);
    expect(loads).toBe(1);
    cache.invalidate('alice');
    expect(cache.peek('alice')).toBeUndefined();
    expect(await cache.get('alice')).toEqual([1, 2, 3]);
    now = 1000;
    expect(cache.peek('alice')).toBeUndefined();
    expect(loads).toBe(2);
  });

  it('never lets a read that started before an invalidation refill the entry', async () => {
    let release: (ids: number[]) => void = () => {};
    const cache = new DeviceListCache({
      load: () => new Promise((r) => (release = r)),
      now: () => 0,
    });
    const slow = cache.refresh('alice');
    cache.invalidate('alice'); // a device was added while the read was in flight
    release([1]);
    expect(await slow).toEqual([1]);
    expect(cache.peek('alice')).toBeUndefined();
  });

  it('stays within maxEntries', async () => {
    const cache = new DeviceListCache({ load: async () => [1], now: () => 0, maxEntries: 10 });
    for (let i = 0; i < 50; i++) await cache.get(`user${i}`);
    expect(cache.size).toBeLessThanOrEqual(10);
  });
});
