/**
 * An account built locally, without a relay: identity, device key and
 * prekeys written to a record store the way registration writes them, plus
 * the public bundle another party would fetch. For unit tests of the inbox
 * and sessions.
 */
import { generateSigningKeyPair } from '../../crypto/ed25519.ts';
import { generateIdentityKeyPair, publicIdentity } from '../../crypto/identity.ts';
import {
  kemPreKeyPublic,
  oneTimeKemPreKeyPublic,
  oneTimePreKeyPublic,
  type PreKeyBundle,
  signedPreKeyPublic,
} from '../../crypto/prekeys.ts';
import { systemRandom } from '../../crypto/random.ts';
import { type Account, exportIdentityKeys } from '../account/account.ts';
import { RelayApi } from '../relay/relay-api.ts';
import {
  newKemPreKey,
  newOneTimeKemPreKeys,
  newOneTimePreKeys,
  newSignedPreKey,
} from '../sessions/prekeys.ts';
import type { SessionContext } from '../sessions/sessions.ts';
import type { RecordStore } from '../store/store.ts';

export interface LocalAccountOptions {
  /** One-time ML-KEM prekeys to write (ids 1..n); the bundle then carries the first. Default 0. */
  readonly oneTimeKemPreKeys?: number;
}

export async function localAccount(
  records: RecordStore,
  userId: string,
  deviceId: number,
  options: LocalAccountOptions = {},
): Promise<{ account: Account; bundle: PreKeyBundle }> {
  const now = Date.now();
  const identity = await generateIdentityKeyPair(true);
  const deviceKey = await generateSigningKeyPair(false);
  const spk = await newSignedPreKey(identity, 1, now);
  const kem = await newKemPreKey(identity, 1, now, systemRandom);
  const opks = await newOneTimePreKeys(1, 2);
  const okems = await newOneTimeKemPreKeys(
    identity,
    1,
    options.oneTimeKemPreKeys ?? 0,
    systemRandom,
  );
  await records.write([spk.op, kem.op, ...opks.ops, ...okems.ops]);
  const account = {
    // Only the identity of the record: what a backup escrows (client/archive/identity-escrow.ts).
    record: { identity: await exportIdentityKeys(identity) } as never,
    userId,
    deviceId,
    handle: `h${deviceId}`,
    relayUrl: 'http://relay.invalid',
    identity,
    publicIdentity: publicIdentity(identity),
    deviceKey: deviceKey.privateKey,
  } satisfies Account;
  const first = opks.pairs[0];
  const firstKem = okems.pairs[0];
  const bundle: PreKeyBundle = {
    identity: publicIdentity(identity),
    signedPreKey: signedPreKeyPublic(spk.pair),
    kemPreKey:
      firstKem === undefined ? kemPreKeyPublic(kem.pair) : oneTimeKemPreKeyPublic(firstKem),
    ...(first === undefined ? {} : { oneTimePreKey: oneTimePreKeyPublic(first) }),
  };
  return { account, bundle };
}

/** A session context whose relay must never be asked anything. */
export function offlineSessionContext(account: Account): SessionContext {
  const api = new RelayApi({
    baseUrl: 'http://relay.invalid',
    fetch: () => Promise.reject(new Error('no relay in this test')),
    now: () => Date.now(),
    timers: { setTimeout: () => 0, clearTimeout: () => {} },
  });
  return { deps: { now: () => Date.now(), random: systemRandom }, api, account, cache: new Map() };
}
