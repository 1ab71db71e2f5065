import { describe, expect, it } from 'vitest';
import { bundleFromKeySet, generateDeviceKeySet } from './device-key-set.ts';
import { validatePreKeyBundle } from './prekey-validation.ts';
import { systemRandom } from './random.ts';
import { now } from './testing/key-fixtures.ts';

describe('generateDeviceKeySet', () => {
  it('creates the requested counts and ids, all valid', async () => {
    const fresh = await generateDeviceKeySet(
      { random: systemRandom, now },
      { oneTimePreKeyCount: 4, firstOneTimePreKeyId: 7 },
    );
    expect(fresh.oneTimePreKeys.map((k) => k.id)).toEqual([7, 8, 9, 10]);
    expect(fresh.signedPreKey.createdAt).toBe(now());
    await validatePreKeyBundle(bundleFromKeySet(fresh, { oneTimePreKeyIndex: 3 }));
    expect(() => bundleFromKeySet(fresh, { oneTimePreKeyIndex: 4 })).toThrow(RangeError);
  });
});

describe('private key extractability', () => {
  it('keeps generated prekeys and identities inside WebCrypto by default', async () => {
    const fresh = await generateDeviceKeySet(
      { random: systemRandom, now },
      { oneTimePreKeyCount: 1 },
    );
    expect(fresh.identity.dh.privateKey.extractable).toBe(false);
    expect(fresh.identity.signing.privateKey.extractable).toBe(false);
    expect(fresh.signedPreKey.keyPair.privateKey.extractable).toBe(false);
    expect(fresh.oneTimePreKeys[0]?.keyPair.privateKey.extractable).toBe(false);
  });
});
