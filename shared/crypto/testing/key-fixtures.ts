/** One deterministic device key set shared by the key tests (identity, prekeys, lookup, certificate). */
import { type Bytes, fromHex } from '../../bytes.ts';
import { bundleFromKeySet, generateDeviceKeySet } from '../device-key-set.ts';
import { identityKeyPairFromPrivate } from '../identity.ts';
import { seededDhKeyPairs, seededRandom } from './deterministic.ts';

export const LOW_ORDER = fromHex(
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
);
export const now = () => 1_700_000_000_000;

/** A copy of `bytes` with one bit flipped at `index`. */
export function flip(bytes: Uint8Array, index = 0): Bytes {
  const out = Uint8Array.from(bytes);
  out[index] = (out[index] as number) ^ 1;
  return out;
}

const random = seededRandom('keys.test');
export const set = await generateDeviceKeySet(
  { random, now, generateDhKeyPair: seededDhKeyPairs(random) },
  {
    identity: await identityKeyPairFromPrivate(random(32), random(32)),
    oneTimePreKeyCount: 3,
    signedPreKeyId: 5,
    kemPreKeyId: 9,
    firstOneTimePreKeyId: 100,
    oneTimeKemPreKeyCount: 2,
    firstOneTimeKemPreKeyId: 40,
  },
);
/** Another identity: a signer that must not be accepted for `set`. */
export const other = await identityKeyPairFromPrivate(random(32), random(32));
export const bundle = bundleFromKeySet(set, { oneTimePreKeyIndex: 1 });

export function missing(): never {
  throw new Error('fixture is missing a key');
}
