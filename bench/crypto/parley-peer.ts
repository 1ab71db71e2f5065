/**
 * Parley's side of the crypto suite: the pairwise session API of
 * shared/crypto/session.ts (PQXDH with ML-KEM-768, Double Ratchet) and the
 * safety numbers of shared/crypto/safety-number.ts, used the way the client
 * core uses them: sessions are values held in memory between calls.
 */
import { utf8 } from '../../shared/bytes.ts';
import {
  bundleFromKeySet,
  generateDeviceKeySet,
  preKeysOf,
} from '../../shared/crypto/device-key-set.ts';
import {
  encodeIdentity,
  generateIdentityKeyPair,
  type IdentityKeyPair,
  publicIdentity,
} from '../../shared/crypto/identity.ts';
import { memoryPreKeyLookup, type PreKeyLookup } from '../../shared/crypto/prekey-lookup.ts';
import type { PreKeyBundle } from '../../shared/crypto/prekeys.ts';
import { systemRandom } from '../../shared/crypto/random.ts';
import { computeSafetyNumber } from '../../shared/crypto/safety-number.ts';
import {
  acceptIncomingSession,
  createOutgoingSession,
  decryptMessage,
  encryptMessage,
  type Session,
  type SessionDeps,
} from '../../shared/crypto/session.ts';
import type { CryptoPeer, SessionPair } from './peer.ts';

const deps: SessionDeps = { random: systemRandom, now: () => Date.now() };

/** One side of a session: each call replaces the session with the one it returned. */
function endpoint(initial: Session): {
  encrypt(plaintext: Uint8Array): Promise<Uint8Array>;
  decrypt(ciphertext: Uint8Array): Promise<Uint8Array>;
} {
  let session = initial;
  return {
    async encrypt(plaintext) {
      const out = await encryptMessage(deps, session, plaintext);
      session = out.session;
      return out.ciphertext;
    },
    async decrypt(ciphertext) {
      const out = await decryptMessage(deps, session, ciphertext);
      session = out.session;
      return out.plaintext;
    },
  };
}

/** Registration-time state of one setup (untimed, like libsignal's prepared bundle and stores). */
interface PreparedSetup {
  readonly initiator: IdentityKeyPair;
  readonly responder: Awaited<ReturnType<typeof generateDeviceKeySet>>;
  readonly bundle: PreKeyBundle;
  readonly lookup: PreKeyLookup;
}

async function prepare(): Promise<PreparedSetup> {
  const [initiator, responder] = await Promise.all([
    generateIdentityKeyPair(),
    generateDeviceKeySet(deps, { oneTimePreKeyCount: 1 }),
  ]);
  return {
    initiator,
    responder,
    bundle: bundleFromKeySet(responder, { oneTimePreKeyIndex: 0, withKemPreKey: true }),
    lookup: memoryPreKeyLookup(preKeysOf(responder)),
  };
}

/** PQXDH from the bundle (one-time + KEM prekey), first message, responder accepts it. */
async function establish(
  setup: PreparedSetup,
  plaintext: Uint8Array,
): Promise<{ initiator: Session; responder: Session }> {
  const outgoing = await createOutgoingSession(deps, setup.initiator, setup.bundle);
  const first = await encryptMessage(deps, outgoing, plaintext);
  const accepted = await acceptIncomingSession(
    deps,
    setup.responder.identity,
    setup.lookup,
    first.ciphertext,
  );
  return { initiator: first.session, responder: accepted.session };
}

export function createParleyPeer(): CryptoPeer {
  return {
    name: 'parley',

    async createPair(): Promise<SessionPair> {
      const hello = new Uint8Array(16);
      const sessions = await establish(await prepare(), hello);
      const a = endpoint(sessions.initiator);
      const b = endpoint(sessions.responder);
      // B answers once, so A stops sending prekey messages and both hold a sending chain.
      await a.decrypt(await b.encrypt(hello));
      return {
        aEncrypt: a.encrypt,
        bDecrypt: b.decrypt,
        bEncrypt: b.encrypt,
        aDecrypt: a.decrypt,
      };
    },

    async prepareSetups(count, plaintext) {
      const prepared: PreparedSetup[] = [];
      for (let i = 0; i < count; i++) prepared.push(await prepare());
      return async () => {
        const next = prepared.pop();
        if (next === undefined) throw new Error('parley: no prepared setup left');
        await establish(next, plaintext);
      };
    },

    async prepareSafetyNumber() {
      const [local, remote] = await Promise.all([
        generateIdentityKeyPair(),
        generateIdentityKeyPair(),
      ]);
      // Parley's safety number input: Encode(IK) (65 bytes) and the user id.
      const localParty = {
        key: encodeIdentity(publicIdentity(local)),
        id: utf8('alice@parley.example'),
      };
      const remoteParty = {
        key: encodeIdentity(publicIdentity(remote)),
        id: utf8('bob@parley.example'),
      };
      return async () => (await computeSafetyNumber(localParty, remoteParty)).digits;
    },
  };
}
