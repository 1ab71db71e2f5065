/**
 * A full key set for one device (onboarding, tests and benchmarks): identity,
 * signed prekey, one-time prekeys and the KEM prekey, and the bundle a relay
 * would serve from it.
 */
import { ErrorCode, fail } from '../errors.ts';
import { generateIdentityKeyPair, type IdentityKeyPair, publicIdentity } from './identity.ts';
import {
  type GenerateDhKeyPair,
  generateKemPreKey,
  generateOneTimePreKeys,
  generatePreKeyPair,
  generateSignedPreKey,
  type KemPreKeyPair,
  kemPreKeyPublic,
  type OneTimePreKeyPair,
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
}

export interface DeviceKeySetOptions {
  /** Reuse the account identity (devices of one account share it); generated if absent. */
  readonly identity?: IdentityKeyPair;
  readonly signedPreKeyId?: number;
  readonly kemPreKeyId?: number;
  readonly firstOneTimePreKeyId?: number;
  /** Default 100 (DESIGN: 100 per device, refilled below 20). */
  readonly oneTimePreKeyCount?: number;
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
  return { identity, signedPreKey, oneTimePreKeys, kemPreKey };
}

/** A bundle as the relay would serve it: optionally one of the one-time prekeys, optionally the KEM prekey. */
export function bundleFromKeySet(
  set: DeviceKeySet,
  options: { readonly oneTimePreKeyIndex?: number; readonly withKemPreKey?: boolean } = {},
): PreKeyBundle {
  const index = options.oneTimePreKeyIndex;
  const opk = index === undefined ? undefined : set.oneTimePreKeys[index];
  if (index !== undefined && opk === undefined)
    fail(ErrorCode.BAD_ARGUMENT, `No one-time prekey at index ${index}`);
  return {
    identity: publicIdentity(set.identity),
    signedPreKey: signedPreKeyPublic(set.signedPreKey),
    ...(opk === undefined ? {} : { oneTimePreKey: oneTimePreKeyPublic(opk) }),
    ...(options.withKemPreKey === false ? {} : { kemPreKey: kemPreKeyPublic(set.kemPreKey) }),
  };
}

export function preKeysOf(set: DeviceKeySet): PreKeyPair[] {
  return [set.signedPreKey, ...set.oneTimePreKeys, set.kemPreKey];
}
