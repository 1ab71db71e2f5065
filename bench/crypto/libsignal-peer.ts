/**
 * The reference peer: Signal's own library (@signalapp/libsignal-client, Rust
 * through N-API) used from JavaScript the way Signal-Desktop uses it, with
 * in-memory stores. Sessions are PQXDH (libsignal message version 4: X25519
 * + ML-KEM-1024 prekey).
 */
import {
  CiphertextMessageType,
  type Direction,
  Fingerprint,
  IdentityChange,
  IdentityKeyPair,
  IdentityKeyStore,
  KEMKeyPair,
  KyberPreKeyRecord,
  KyberPreKeyStore,
  PreKeyBundle,
  PreKeyRecord,
  PreKeySignalMessage,
  PreKeyStore,
  PrivateKey,
  ProtocolAddress,
  type PublicKey,
  processPreKeyBundle,
  type SessionRecord,
  SessionStore,
  SignalMessage,
  SignedPreKeyRecord,
  SignedPreKeyStore,
  signalDecrypt,
  signalDecryptPreKey,
  signalEncrypt,
} from '@signalapp/libsignal-client';
import type { CryptoPeer, SessionPair } from './peer.ts';

type Bytes = Uint8Array<ArrayBuffer>;

class MemorySessionStore extends SessionStore {
  readonly #sessions = new Map<string, SessionRecord>();
  async saveSession(name: ProtocolAddress, record: SessionRecord): Promise<void> {
    this.#sessions.set(name.toString(), record);
  }
  async getSession(name: ProtocolAddress): Promise<SessionRecord | null> {
    return this.#sessions.get(name.toString()) ?? null;
  }
  async getExistingSessions(addresses: ProtocolAddress[]): Promise<SessionRecord[]> {
    return addresses.flatMap((a) => {
      const record = this.#sessions.get(a.toString());
      return record === undefined ? [] : [record];
    });
  }
}

class MemoryIdentityStore extends IdentityKeyStore {
  readonly #identities = new Map<string, PublicKey>();
  constructor(private readonly identity: IdentityKeyPair) {
    super();
  }
  async getIdentityKey(): Promise<PrivateKey> {
    return this.identity.privateKey;
  }
  async getLocalRegistrationId(): Promise<number> {
    return 1;
  }
  async saveIdentity(name: ProtocolAddress, key: PublicKey): Promise<IdentityChange> {
    this.#identities.set(name.toString(), key);
    return IdentityChange.NewOrUnchanged;
  }
  async isTrustedIdentity(
    _name: ProtocolAddress,
    _key: PublicKey,
    _direction: Direction,
  ): Promise<boolean> {
    return true;
  }
  async getIdentity(name: ProtocolAddress): Promise<PublicKey | null> {
    return this.#identities.get(name.toString()) ?? null;
  }
}

/** A record the prekey stores were given, or the error libsignal expects for an unknown id. */
function stored<T>(records: ReadonlyMap<number, T>, id: number, what: string): T {
  const record = records.get(id);
  if (record === undefined) throw new Error(`no ${what} ${id}`);
  return record;
}

class MemoryPreKeyStore extends PreKeyStore {
  readonly records = new Map<number, PreKeyRecord>();
  async savePreKey(id: number, record: PreKeyRecord): Promise<void> {
    this.records.set(id, record);
  }
  async getPreKey(id: number): Promise<PreKeyRecord> {
    return stored(this.records, id, 'prekey');
  }
  async removePreKey(id: number): Promise<void> {
    this.records.delete(id);
  }
}

class MemorySignedPreKeyStore extends SignedPreKeyStore {
  readonly records = new Map<number, SignedPreKeyRecord>();
  async saveSignedPreKey(id: number, record: SignedPreKeyRecord): Promise<void> {
    this.records.set(id, record);
  }
  async getSignedPreKey(id: number): Promise<SignedPreKeyRecord> {
    return stored(this.records, id, 'signed prekey');
  }
}

class MemoryKyberPreKeyStore extends KyberPreKeyStore {
  readonly records = new Map<number, KyberPreKeyRecord>();
  async saveKyberPreKey(id: number, record: KyberPreKeyRecord): Promise<void> {
    this.records.set(id, record);
  }
  async getKyberPreKey(id: number): Promise<KyberPreKeyRecord> {
    return stored(this.records, id, 'kyber prekey');
  }
  async markKyberPreKeyUsed(): Promise<void> {}
}

/** One party: identity plus every store libsignal asks for. */
class Party {
  readonly identity = IdentityKeyPair.generate();
  readonly sessions = new MemorySessionStore();
  readonly identities = new MemoryIdentityStore(this.identity);
  readonly preKeys = new MemoryPreKeyStore();
  readonly signedPreKeys = new MemorySignedPreKeyStore();
  readonly kyberPreKeys = new MemoryKyberPreKeyStore();
  constructor(readonly address: ProtocolAddress) {}

  /** Generates and stores a one-time, a signed and a Kyber prekey; returns the public bundle. */
  bundle(): PreKeyBundle {
    const now = Date.now();
    const oneTime = PrivateKey.generate();
    this.preKeys.records.set(1, PreKeyRecord.new(1, oneTime.getPublicKey(), oneTime));
    const signed = PrivateKey.generate();
    const signedSig = this.identity.privateKey.sign(signed.getPublicKey().serialize());
    this.signedPreKeys.records.set(
      2,
      SignedPreKeyRecord.new(2, now, signed.getPublicKey(), signed, signedSig),
    );
    const kem = KEMKeyPair.generate();
    const kemSig = this.identity.privateKey.sign(kem.getPublicKey().serialize());
    this.kyberPreKeys.records.set(3, KyberPreKeyRecord.new(3, now, kem, kemSig));
    return PreKeyBundle.new(
      1,
      1,
      1,
      oneTime.getPublicKey(),
      2,
      signed.getPublicKey(),
      signedSig,
      this.identity.publicKey,
      3,
      kem.getPublicKey(),
      kemSig,
    );
  }

  async encrypt(
    to: Party,
    plaintext: Bytes,
  ): Promise<{ type: CiphertextMessageType; bytes: Bytes }> {
    const message = await signalEncrypt(
      plaintext,
      to.address,
      this.address,
      this.sessions,
      this.identities,
    );
    return { type: message.type(), bytes: message.serialize() };
  }

  decrypt(from: Party, bytes: Bytes): Promise<Bytes> {
    return signalDecrypt(
      SignalMessage.deserialize(bytes),
      from.address,
      this.address,
      this.sessions,
      this.identities,
    );
  }

  decryptPreKey(from: Party, bytes: Bytes): Promise<Bytes> {
    return signalDecryptPreKey(
      PreKeySignalMessage.deserialize(bytes),
      from.address,
      this.address,
      this.sessions,
      this.identities,
      this.preKeys,
      this.signedPreKeys,
      this.kyberPreKeys,
    );
  }
}

const ALICE = ProtocolAddress.new('alice', 1);
const BOB = ProtocolAddress.new('bob', 1);

function asBytes(data: Uint8Array): Bytes {
  return data.buffer instanceof ArrayBuffer ? (data as Bytes) : new Uint8Array(data);
}

/** Runs PQXDH: A processes B's bundle and sends, B processes the prekey message. */
async function establish(
  a: Party,
  b: Party,
  bundle: PreKeyBundle,
  plaintext: Bytes,
): Promise<void> {
  await processPreKeyBundle(bundle, b.address, a.address, a.sessions, a.identities);
  const first = await a.encrypt(b, plaintext);
  if (first.type !== CiphertextMessageType.PreKey)
    throw new Error('libsignal: expected a prekey message');
  await b.decryptPreKey(a, first.bytes);
}

export function createLibsignalPeer(): CryptoPeer {
  return {
    name: 'libsignal',

    async createPair(): Promise<SessionPair> {
      const a = new Party(ALICE);
      const b = new Party(BOB);
      const hello = new Uint8Array(16);
      await establish(a, b, b.bundle(), hello);
      // B answers once, so A leaves the prekey phase and both hold a sending chain.
      await a.decrypt(b, (await b.encrypt(a, hello)).bytes);
      return {
        aEncrypt: async (p) => (await a.encrypt(b, asBytes(p))).bytes,
        bDecrypt: (c) => b.decrypt(a, asBytes(c)),
        bEncrypt: async (p) => (await b.encrypt(a, asBytes(p))).bytes,
        aDecrypt: (c) => a.decrypt(b, asBytes(c)),
      };
    },

    async prepareSetups(count, plaintext) {
      const prepared: { a: Party; b: Party; bundle: PreKeyBundle }[] = [];
      for (let i = 0; i < count; i++) {
        const b = new Party(BOB);
        prepared.push({ a: new Party(ALICE), b, bundle: b.bundle() });
      }
      const bytes = asBytes(plaintext);
      return async () => {
        const next = prepared.pop();
        if (next === undefined) throw new Error('libsignal: no prepared setup left');
        await establish(next.a, next.b, next.bundle, bytes);
      };
    },

    async prepareSafetyNumber() {
      const localKey = PrivateKey.generate().getPublicKey();
      const remoteKey = PrivateKey.generate().getPublicKey();
      const localId = new TextEncoder().encode('alice@parley.example');
      const remoteId = new TextEncoder().encode('bob@parley.example');
      return async () =>
        Fingerprint.new(5200, 2, localId, localKey, remoteId, remoteKey)
          .displayableFingerprint()
          .toString();
    },
  };
}
