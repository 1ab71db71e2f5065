import { describe, expect, it } from 'vitest';
import { listAccount, nextList } from '../../crypto/testing/device-list-fixtures.ts';
import { Batch } from '../store/batch.ts';
import { createMemoryStorage } from '../store/store.ts';
import { observeDeviceLists, readHeldList } from './held-lists.ts';

const account = await listAccount();
const user = account.userId;
const key = account.identity.signing.publicKey;
const [d1, d2, d3] = account.devices as [
  (typeof account.devices)[0],
  (typeof account.devices)[0],
  (typeof account.devices)[0],
];

async function observe(
  records: ReturnType<typeof createMemoryStorage>['records'],
  served: Uint8Array[],
) {
  const batch = new Batch(records);
  const observed = await observeDeviceLists(batch, user, key, served);
  await batch.commit();
  return observed;
}

describe('held device lists (docs/protocol.md, "Device list": threat L4)', () => {
  it('a relay serving an older version after a newer one is ignored: the newer stays held', async () => {
    const { records } = createMemoryStorage();
    const v1 = await nextList(account, undefined, [d1]);
    const v2 = await nextList(account, v1, [d1, d2]);
    expect((await observe(records, [v1.encoded, v2.encoded])).held?.list.version).toBe(2);
    const rolledBack = await observe(records, [v1.encoded]);
    expect(rolledBack.outcome).not.toBe('accepted');
    expect(rolledBack.held?.list.version).toBe(2);
    expect((await readHeldList(new Batch(records), user))?.list.hash).toEqual(v2.hash);
  });

  it('two different lists with the held version are a fork, kept until a newer version chains', async () => {
    const { records } = createMemoryStorage();
    const v1 = await nextList(account, undefined, [d1]);
    const v2 = await nextList(account, v1, [d1, d2]);
    const v2b = await nextList(account, v1, [d1, d3]);
    await observe(records, [v1.encoded, v2.encoded]);
    const forked = await observe(records, [v1.encoded, v2b.encoded]);
    expect(forked.outcome).toBe('fork');
    expect(forked.held?.fork?.hash).toEqual(v2b.hash);
    // Recorded at once, so a dropped batch cannot lose the warning.
    expect((await readHeldList(new Batch(records), user))?.fork).toBeDefined();
    const v3 = await nextList(account, v2, [d1, d2]);
    const resolved = await observe(records, [v2.encoded, v3.encoded]);
    expect(resolved.outcome).toBe('resolved');
    expect(resolved.held).toMatchObject({ list: { version: 3 } });
    expect(resolved.held?.fork).toBeUndefined();
  });
});
