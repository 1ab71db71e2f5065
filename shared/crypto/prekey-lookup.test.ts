import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.ts';
import { errorOf } from '../testing/errors.ts';
import { generateDeviceKeySet, preKeysOf } from './device-key-set.ts';
import { lookupPreKey, memoryPreKeyLookup, type PreKeyLookup } from './prekey-lookup.ts';
import { PreKeyKind } from './prekeys.ts';
import { seededDhKeyPairs, seededRandom } from './testing/deterministic.ts';
import { now, set } from './testing/key-fixtures.ts';

describe('prekey lookup', () => {
  it('never resolves an id in another kind', async () => {
    // Same id in every kind: each lookup must return its own kind.
    const r = seededRandom('same-ids');
    const same = await generateDeviceKeySet(
      { random: r, now, generateDhKeyPair: seededDhKeyPairs(r) },
      {
        identity: set.identity,
        signedPreKeyId: 1,
        kemPreKeyId: 1,
        firstOneTimePreKeyId: 1,
        oneTimePreKeyCount: 1,
        firstOneTimeKemPreKeyId: 1,
        oneTimeKemPreKeyCount: 1,
      },
    );
    const lookup = memoryPreKeyLookup(preKeysOf(same));
    expect((await lookupPreKey(lookup, PreKeyKind.SIGNED, 1)).kind).toBe(PreKeyKind.SIGNED);
    expect((await lookupPreKey(lookup, PreKeyKind.ONE_TIME, 1)).kind).toBe(PreKeyKind.ONE_TIME);
    expect((await lookupPreKey(lookup, PreKeyKind.KEM, 1)).kind).toBe(PreKeyKind.KEM);
    expect((await lookupPreKey(lookup, PreKeyKind.ONE_TIME_KEM, 1)).kind).toBe(
      PreKeyKind.ONE_TIME_KEM,
    );
    expect(await errorOf(() => lookupPreKey(lookup, PreKeyKind.ONE_TIME, 2))).toMatchObject({
      code: ErrorCode.PREKEY_MISSING,
    });
  });

  it('rejects a store that answers with another kind or id', async () => {
    const wrongKind: PreKeyLookup = { getPreKey: async () => set.signedPreKey };
    expect(
      (await errorOf(() => lookupPreKey(wrongKind, PreKeyKind.ONE_TIME, set.signedPreKey.id))).code,
    ).toBe(ErrorCode.KEY_TYPE);
    // A last-resort KEM prekey is never accepted where a one-time one was asked for.
    const lastResort: PreKeyLookup = { getPreKey: async () => set.kemPreKey };
    expect(
      (await errorOf(() => lookupPreKey(lastResort, PreKeyKind.ONE_TIME_KEM, set.kemPreKey.id)))
        .code,
    ).toBe(ErrorCode.KEY_TYPE);
    const wrongId: PreKeyLookup = { getPreKey: async () => set.oneTimePreKeys[0] };
    expect((await errorOf(() => lookupPreKey(wrongId, PreKeyKind.ONE_TIME, 12345))).code).toBe(
      ErrorCode.KEY_TYPE,
    );
  });
});
