import { describe, expect, it } from 'vitest';
import { generateIdentityKeyPair } from '../../crypto/identity.ts';
import { systemRandom } from '../../crypto/random.ts';
import { SIGNED_PREKEY_ROTATION_MS } from '../../wire/limits.ts';
import { createMemoryStorage } from '../store/store.ts';
import {
  handedOutKemOps,
  newOneTimeKemPreKeys,
  PREKEY_GRACE_MS,
  planPrekeyMaintenance,
} from './prekeys.ts';

const NOW = 1_700_000_000_000;
const DAY = 86_400_000;

describe('prekey maintenance plan', () => {
  it('refills one-time prekeys below 20 up to 100', () => {
    const fresh = { signed: [{ id: 1, createdAt: NOW }], kem: [{ id: 1, createdAt: NOW }] };
    expect(planPrekeyMaintenance({ oneTimePreKeys: 20 }, fresh, NOW).refill).toBe(0);
    expect(planPrekeyMaintenance({ oneTimePreKeys: 19 }, fresh, NOW).refill).toBe(81);
    expect(planPrekeyMaintenance({ oneTimePreKeys: 0 }, fresh, NOW).refill).toBe(100);
  });

  it('refills one-time ML-KEM prekeys below 10 up to 30, and none for a relay that does not store them', () => {
    const fresh = { signed: [{ id: 1, createdAt: NOW }], kem: [{ id: 1, createdAt: NOW }] };
    const plan = (oneTimeKemPreKeys?: number) =>
      planPrekeyMaintenance({ oneTimePreKeys: 100, oneTimeKemPreKeys }, fresh, NOW).refillKem;
    expect(plan(10)).toBe(0);
    expect(plan(9)).toBe(21);
    expect(plan(0)).toBe(30);
    expect(plan(undefined)).toBe(0);
  });

  it('rotates signed and KEM prekeys after 7 days and purges retired ones after the grace period', () => {
    const inventory = {
      signed: [
        { id: 3, createdAt: NOW - SIGNED_PREKEY_ROTATION_MS },
        { id: 2, createdAt: NOW - 20 * DAY, retiredAt: NOW - PREKEY_GRACE_MS },
        { id: 1, createdAt: NOW - 40 * DAY, retiredAt: NOW - PREKEY_GRACE_MS - DAY },
      ],
      kem: [
        { id: 5, createdAt: NOW - DAY },
        { id: 4, createdAt: NOW - 9 * DAY, retiredAt: NOW - DAY },
      ],
    };
    const plan = planPrekeyMaintenance(
      { oneTimePreKeys: 50, oneTimeKemPreKeys: 10 },
      inventory,
      NOW,
    );
    expect(plan).toEqual({
      refill: 0,
      refillKem: 0,
      rotateSigned: true,
      rotateKem: false,
      purgeSigned: [2, 1],
      purgeKem: [],
    });
  });
});

describe('one-time ML-KEM prekeys the relay handed out', () => {
  it('are marked when the relay no longer holds them and deleted after the grace period', async () => {
    const { records } = createMemoryStorage();
    const identity = await generateIdentityKeyPair(true);
    await records.write((await newOneTimeKemPreKeys(identity, 1, 5, systemRandom)).ops);
    const ids = async () =>
      (await records.list('prekey/okem/')).map(([key]) => Number(key.slice('prekey/okem/'.length)));

    // The relay holds 5: nothing to do.
    expect(await handedOutKemOps(records, 5, NOW)).toEqual({ ops: [], purged: 0 });
    // It holds 3: ids 1 and 2 went out (lowest first); marked, not deleted.
    const marked = await handedOutKemOps(records, 3, NOW);
    expect(marked.ops.map((o) => [o.op, o.key])).toEqual([
      ['set', 'prekey/okem/0000000001'],
      ['set', 'prekey/okem/0000000002'],
    ]);
    await records.write(marked.ops);
    expect(await handedOutKemOps(records, 3, NOW + PREKEY_GRACE_MS - 1)).toEqual({
      ops: [],
      purged: 0,
    });
    const purge = await handedOutKemOps(records, 3, NOW + PREKEY_GRACE_MS);
    expect(purge.purged).toBe(2);
    await records.write(purge.ops);
    expect(await ids()).toEqual([3, 4, 5]);
  });
});
