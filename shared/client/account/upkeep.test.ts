import { describe, expect, it } from 'vitest';
import {
  ONE_TIME_KEM_PREKEYS_REFILL_BELOW,
  ONE_TIME_PREKEYS_REFILL_BELOW,
} from '../../wire/limits.ts';
import { runsLow } from './upkeep.ts';

describe('runsLow (the ready frame triggers maintenance before the hour)', () => {
  it.each([
    [{}, false],
    [{ oneTimePreKeys: ONE_TIME_PREKEYS_REFILL_BELOW }, false],
    [{ oneTimePreKeys: ONE_TIME_PREKEYS_REFILL_BELOW - 1 }, true],
    [{ oneTimePreKeys: 100, oneTimeKemPreKeys: ONE_TIME_KEM_PREKEYS_REFILL_BELOW }, false],
    [{ oneTimePreKeys: 100, oneTimeKemPreKeys: ONE_TIME_KEM_PREKEYS_REFILL_BELOW - 1 }, true],
    [{ oneTimePreKeys: 100, oneTimeKemPreKeys: 0 }, true],
    // An older relay omits the ML-KEM count: only the classical one decides.
    [{ oneTimePreKeys: 100, oneTimeKemPreKeys: undefined }, false],
  ])('%o → %s', (stock, expected) => {
    expect(runsLow(stock)).toBe(expected);
  });
});
