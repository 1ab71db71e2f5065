import { describe, expect, it } from 'vitest';
import { SIGNED_PREKEY_ROTATION_MS } from '../../wire/limits.ts';
import { PREKEY_GRACE_MS, planPrekeyMaintenance } from './prekeys.ts';

const NOW = 1_700_000_000_000;
const DAY = 86_400_000;

describe('prekey maintenance plan', () => {
  it('refills one-time prekeys below 20 up to 100', () => {
    const fresh = { signed: [{ id: 1, createdAt: NOW }], kem: [{ id: 1, createdAt: NOW }] };
    expect(planPrekeyMaintenance(20, fresh, NOW).refill).toBe(0);
    expect(planPrekeyMaintenance(19, fresh, NOW).refill).toBe(81);
    expect(planPrekeyMaintenance(0, fresh, NOW).refill).toBe(100);
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
    const plan = planPrekeyMaintenance(50, inventory, NOW);
    expect(plan).toEqual({
      refill: 0,
      rotateSigned: true,
      rotateKem: false,
      purgeSigned: [2, 1],
      purgeKem: [],
    });
  });
});
