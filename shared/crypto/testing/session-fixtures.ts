/**
 * Two-party fixtures for session tests: key sets, prekey lookups and
 * established sessions, optionally fully deterministic (seeded keys, randomness
 * and clock) so a run can be compared byte for byte with another.
 */
import type { Bytes } from '../../bytes.ts';
import {
  bundleFromKeySet,
  type DeviceKeySet,
  generateDeviceKeySet,
  preKeysOf,
} from '../device-key-set.ts';
import { identityKeyPairFromPrivate } from '../identity.ts';
import { memoryPreKeyLookup, type PreKeyLookup } from '../prekey-lookup.ts';
import { systemRandom } from '../random.ts';
import {
  acceptIncomingSession,
  createOutgoingSession,
  encryptMessage,
  type Session,
  type SessionDeps,
} from '../session.ts';
import { type ManualClock, manualClock, seededDhKeyPairs, seededRandom } from './deterministic.ts';

export interface Party {
  readonly keys: DeviceKeySet;
  readonly lookup: PreKeyLookup;
  readonly deps: SessionDeps;
  readonly clock: ManualClock;
}

/** A device with `oneTimePreKeys` one-time prekeys; deterministic when `seed` is given. */
export async function makeParty(seed?: string, oneTimePreKeys = 3): Promise<Party> {
  const clock = manualClock();
  const random = seed === undefined ? systemRandom : seededRandom(seed);
  const deps: SessionDeps =
    seed === undefined
      ? { random, now: clock.now }
      : { random, now: clock.now, generateDhKeyPair: seededDhKeyPairs(random) };
  const identity = await identityKeyPairFromPrivate(random(32), random(32));
  const keys = await generateDeviceKeySet(
    {
      random,
      now: clock.now,
      ...(deps.generateDhKeyPair ? { generateDhKeyPair: deps.generateDhKeyPair } : {}),
    },
    {
      identity,
      oneTimePreKeyCount: oneTimePreKeys,
      signedPreKeyId: 11,
      kemPreKeyId: 21,
      firstOneTimePreKeyId: 31,
    },
  );
  return { keys, lookup: memoryPreKeyLookup(preKeysOf(keys)), deps, clock };
}

export interface EstablishOptions {
  readonly pq?: boolean;
  readonly oneTimePreKey?: boolean;
  readonly seed?: string;
}

export interface Established {
  readonly alice: Party;
  readonly bob: Party;
  /** Alice's session after sending `first` (still sending prekey messages). */
  readonly aliceSession: Session;
  /** Bob's session after accepting `first`. */
  readonly bobSession: Session;
  readonly first: Bytes;
  readonly consumedOneTimePreKeyId: number | undefined;
}

export async function establish(options: EstablishOptions = {}): Promise<Established> {
  const alice = await makeParty(options.seed === undefined ? undefined : `${options.seed}/alice`);
  const bob = await makeParty(options.seed === undefined ? undefined : `${options.seed}/bob`);
  const bundle = bundleFromKeySet(bob.keys, {
    ...(options.oneTimePreKey === false ? {} : { oneTimePreKeyIndex: 0 }),
    withKemPreKey: options.pq !== false,
  });
  const created = await createOutgoingSession(alice.deps, alice.keys.identity, bundle);
  const sent = await encryptMessage(alice.deps, created, new TextEncoder().encode('hello bob'));
  const accepted = await acceptIncomingSession(
    bob.deps,
    bob.keys.identity,
    bob.lookup,
    sent.ciphertext,
  );
  return {
    alice,
    bob,
    aliceSession: sent.session,
    bobSession: accepted.session,
    first: sent.ciphertext,
    consumedOneTimePreKeyId: accepted.consumedOneTimePreKeyId,
  };
}
