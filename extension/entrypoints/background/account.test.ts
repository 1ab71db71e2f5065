import { describe, expect, it } from 'vitest';
import { memoryMeta } from '../../testing/fakes.ts';
import { DEVICE_ADDRESS_META, DeviceAddressStore, readDeviceAddress } from './account.ts';

describe('DeviceAddressStore', () => {
  it('keeps the relay ids in plain meta and reads back only well-formed ones', async () => {
    const meta = memoryMeta();
    const store = new DeviceAddressStore(meta);
    expect(await store.load()).toBeUndefined();
    const address = { relayUrl: 'http://127.0.0.1:8787', userId: 'user-1', deviceId: 3 };
    await store.save({ ...address, extra: 'not stored' } as typeof address);
    expect(meta.data.get(DEVICE_ADDRESS_META)).toEqual(address);
    expect(await store.load()).toEqual(address);
    for (const bad of [null, 'x', { ...address, deviceId: 1.5 }, { ...address, userId: 4 }])
      expect(readDeviceAddress(bad)).toBeUndefined();
  });
});
