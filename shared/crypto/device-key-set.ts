/**
 * A full key set for one device (onboarding, tests and benchmarks): identity,
 * signed prekey, one-time prekeys and the KEM prekey, and the bundle a relay
 * would serve from it.
 */
import { generateIdentityKeyPair, type IdentityKeyPair, publicIdentity } from './identity.ts';
import {
  type GenerateDhKeyPair,
  generateKemPreKey,
  generateOneTimeKemPreKeys,
  generateOneTimePreKeys,
  generatePreKeyPair,
  generateSignedPreKey,
  type KemPreKeyPair,
  kemPreKeyPublic,
  type OneTimeKemPreKeyPair,
  type OneTimePreKeyPair,
  oneTimeKemPreKeyPublic,
  oneTimePreKeyPublic,
  type PreKeyBundle,
  type PreKeyPair,
  type SignedPreKeyPair,
  signedPreKeyPublic,
} from './prekeys.ts';
import type { Random } from './random.ts';

export interface DeviceKeySet {
  readonly identity: IdentityKeyPair;
  readonly signedPreKey: SignedPreKeyPair;
  readonly oneTimePreKeys: readonly OneTimePreKeyPair[];
  readonly kemPreKey: KemPreKeyPair;
  readonly oneTimeKemPreKeys: readonly OneTimeKemPreKeyPair[];
}

export interface DeviceKeySetOptions {
  /** Reuse the account identity (devices of one account share it); generated if absent. */
  readonly identity?: IdentityKeyPair;
  readonly signedPreKeyId?: number;
  readonly kemPreKeyId?: number;
  readonly firstOneTimePreKeyId?: number;
  /** Default 100 (DESIGN: 100 per device, refilled below 20). */
  readonly oneTimePreKeyCount?: number;
  readonly firstOneTimeKemPreKeyId?: number;
  /** Default 0: each costs an ML-KEM key generation and a signature. */
  readonly oneTimeKemPreKeyCount?: number;
}

export interface KeyGenerationDeps {
  readonly random: Random;
  readonly now: () => number;
  readonly generateDhKeyPair?: GenerateDhKeyPair;
}

export async function generateDeviceKeySet(
  deps: KeyGenerationDeps,
  options: DeviceKeySetOptions = {},
): Promise<DeviceKeySet> {
  const generate = deps.generateDhKeyPair ?? generatePreKeyPair;
  const identity = options.identity ?? (await generateIdentityKeyPair());
  const now = deps.now();
  const signedPreKey = await generateSignedPreKey(
    identity,
    options.signedPreKeyId ?? 1,
    now,
    generate,
  );
  const oneTimePreKeys = await generateOneTimePreKeys(
    options.firstOneTimePreKeyId ?? 1,
    options.oneTimePreKeyCount ?? 100,
    generate,
  );
  const kemPreKey = await generateKemPreKey(identity, options.kemPreKeyId ?? 1, now, deps.random);
  const oneTimeKemPreKeys = await generateOneTimeKemPreKeys(
    identity,
    options.firstOneTimeKemPreKeyId ?? 1,
    options.oneTimeKemPreKeyCount ?? 0,
    deps.random,
  );
  return { identity, signedPreKey, oneTimePreKeys, kemPreKey, oneTimeKemPreKeys };
}

export interface BundleOptions {
  readonly oneTimePreKeyIndex?: number;
  /** Serve this one-time ML-KEM prekey instead of the last-resort one. */
  readonly oneTimeKemPreKeyIndex?: number;
  readonly withKemPreKey?: boolean;
}

function at<T>(list: readonly T[], index: number | undefined, what: string): T | undefined {
  if (index === undefined) return undefined;
  const found = list[index];
  if (found === undefined) throw new RangeError(`No ${what} at index ${index}`);
  return found;
}

/**
 * A bundle as the relay would serve it: optionally one of the one-time
 * prekeys, and (unless withKemPreKey is false) a one-time ML-KEM prekey or the
 * last-resort one.
 */
export function bundleFromKeySet(set: DeviceKeySet, options: BundleOptions = {}): PreKeyBundle {
  const opk = at(set.oneTimePreKeys, options.oneTimePreKeyIndex, 'one-time prekey');
  const okem = at(set.oneTimeKemPreKeys, options.oneTimeKemPreKeyIndex, 'one-time KEM prekey');
  const kemPreKey =
    okem === undefined ? kemPreKeyPublic(set.kemPreKey) : oneTimeKemPreKeyPublic(okem);
  return {
    identity: publicIdentity(set.identity),
    signedPreKey: signedPreKeyPublic(set.signedPreKey),
    ...(opk === undefined ? {} : { oneTimePreKey: oneTimePreKeyPublic(opk) }),
    ...(options.withKemPreKey === false ? {} : { kemPreKey }),
  };
}

export function preKeysOf(set: DeviceKeySet): PreKeyPair[] {
  return [set.signedPreKey, ...set.oneTimePreKeys, set.kemPreKey, ...set.oneTimeKemPreKeys];
}
