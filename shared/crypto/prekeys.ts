/**
 * Prekeys: the signed X25519 prekey, the one-time X25519 prekeys, the
 * last-resort ML-KEM prekey and the one-time ML-KEM prekeys a device publishes
 * for PQXDH (docs/protocol.md, prekeys).
 * Every prekey carries a `kind`, and every lookup by id checks it, so an id the
 * relay chose can never make us use a key of another type (CVE-2022-39250).
 */
import { type Bytes, u32be } from '../bytes.ts';
import { signWithContext } from './ed25519.ts';
import { checkId, checkTimestamp } from './field-checks.ts';
import type { IdentityKeyPair, PublicIdentity } from './identity.ts';
import { SignatureContext } from './labels.ts';
import { generateKemKeyPair, type KemKeyPair } from './mlkem.ts';
import type { Random } from './random.ts';
import { type DhKeyPair, generateDhKeyPair } from './x25519.ts';

export type GenerateDhKeyPair = () => Promise<DhKeyPair>;

/**
 * Prekey private keys stay inside WebCrypto by default (non-extractable; a
 * CryptoKey can still be stored in IndexedDB). They are only ever used for DH.
 */
export const generatePreKeyPair: GenerateDhKeyPair = () => generateDhKeyPair(false);

export const PreKeyKind = {
  SIGNED: 'signed-prekey',
  ONE_TIME: 'one-time-prekey',
  /** The last-resort ML-KEM prekey: served when no one-time ML-KEM prekey is left. */
  KEM: 'kem-prekey',
  /** A signed ML-KEM prekey handed out once and deleted by its owner after first use. */
  ONE_TIME_KEM: 'one-time-kem-prekey',
} as const;
export type PreKeyKind = (typeof PreKeyKind)[keyof typeof PreKeyKind];
/** The two ML-KEM prekey kinds a bundle or prekey message may name. */
export type KemPreKeyKind = typeof PreKeyKind.KEM | typeof PreKeyKind.ONE_TIME_KEM;

export interface SignedPreKeyPublic {
  readonly kind: typeof PreKeyKind.SIGNED;
  readonly id: number;
  readonly publicKey: Bytes;
  /** sign(IK.signing, SIGNED_PREKEY, u32 id, publicKey) */
  readonly signature: Bytes;
}

export interface OneTimePreKeyPublic {
  readonly kind: typeof PreKeyKind.ONE_TIME;
  readonly id: number;
  readonly publicKey: Bytes;
}

export interface KemPreKeyPublic {
  readonly kind: typeof PreKeyKind.KEM;
  readonly id: number;
  readonly publicKey: Bytes;
  /** sign(IK.signing, KEM_PREKEY, u32 id, publicKey) */
  readonly signature: Bytes;
}

export interface OneTimeKemPreKeyPublic {
  readonly kind: typeof PreKeyKind.ONE_TIME_KEM;
  readonly id: number;
  readonly publicKey: Bytes;
  /** sign(IK.signing, ONE_TIME_KEM_PREKEY, u32 id, publicKey) */
  readonly signature: Bytes;
}

/** Either ML-KEM prekey, as a bundle carries it. */
export type AnyKemPreKeyPublic = KemPreKeyPublic | OneTimeKemPreKeyPublic;

export interface SignedPreKeyPair {
  readonly kind: typeof PreKeyKind.SIGNED;
  readonly id: number;
  readonly keyPair: DhKeyPair;
  readonly signature: Bytes;
  readonly createdAt: number;
}

export interface OneTimePreKeyPair {
  readonly kind: typeof PreKeyKind.ONE_TIME;
  readonly id: number;
  readonly keyPair: DhKeyPair;
}

export interface KemPreKeyPair {
  readonly kind: typeof PreKeyKind.KEM;
  readonly id: number;
  readonly keyPair: KemKeyPair;
  readonly signature: Bytes;
  readonly createdAt: number;
}

export interface OneTimeKemPreKeyPair {
  readonly kind: typeof PreKeyKind.ONE_TIME_KEM;
  readonly id: number;
  readonly keyPair: KemKeyPair;
  readonly signature: Bytes;
}

export type PreKeyPair =
  | SignedPreKeyPair
  | OneTimePreKeyPair
  | KemPreKeyPair
  | OneTimeKemPreKeyPair;
export type PreKeyPairOf<K extends PreKeyKind> = Extract<PreKeyPair, { readonly kind: K }>;

/**
 * What a relay hands out for one device. The one-time and KEM prekeys may be
 * absent; the KEM prekey is a one-time one while the device has any left,
 * else the last-resort one (its `kind` says which).
 */
export interface PreKeyBundle {
  readonly identity: PublicIdentity;
  readonly signedPreKey: SignedPreKeyPublic;
  readonly oneTimePreKey?: OneTimePreKeyPublic | undefined;
  readonly kemPreKey?: AnyKemPreKeyPublic | undefined;
}

export async function generateSignedPreKey(
  identity: IdentityKeyPair,
  id: number,
  createdAt: number,
  generate: GenerateDhKeyPair = generatePreKeyPair,
): Promise<SignedPreKeyPair> {
  checkId(id, 'signedPreKey.id');
  checkTimestamp(createdAt, 'signedPreKey.createdAt');
  const keyPair = await generate();
  const signature = await signWithContext(
    identity.signing.privateKey,
    SignatureContext.SIGNED_PREKEY,
    u32be(id),
    keyPair.publicKey,
  );
  return { kind: PreKeyKind.SIGNED, id, keyPair, signature, createdAt };
}

export async function generateOneTimePreKeys(
  firstId: number,
  count: number,
  generate: GenerateDhKeyPair = generatePreKeyPair,
): Promise<OneTimePreKeyPair[]> {
  if (!Number.isInteger(count) || count < 0)
    throw new RangeError(`One-time prekey count must be >= 0, got ${count}`);
  checkId(firstId, 'oneTimePreKey.id');
  if (count > 0) checkId(firstId + count - 1, 'oneTimePreKey.id');
  // Sequential on purpose: a deterministic generator must hand out keys in id order.
  const out: OneTimePreKeyPair[] = [];
  for (let i = 0; i < count; i++) {
    out.push({ kind: PreKeyKind.ONE_TIME, id: firstId + i, keyPair: await generate() });
  }
  return out;
}

export async function generateKemPreKey(
  identity: IdentityKeyPair,
  id: number,
  createdAt: number,
  random: Random,
): Promise<KemPreKeyPair> {
  checkId(id, 'kemPreKey.id');
  checkTimestamp(createdAt, 'kemPreKey.createdAt');
  const keyPair = generateKemKeyPair(random);
  const signature = await signWithContext(
    identity.signing.privateKey,
    SignatureContext.KEM_PREKEY,
    u32be(id),
    keyPair.publicKey,
  );
  return { kind: PreKeyKind.KEM, id, keyPair, signature, createdAt };
}

/**
 * One-time ML-KEM prekeys with ids firstId.. (sequential, so a deterministic
 * `random` gives keys in id order), each signed under ONE_TIME_KEM_PREKEY.
 */
export async function generateOneTimeKemPreKeys(
  identity: IdentityKeyPair,
  firstId: number,
  count: number,
  random: Random,
): Promise<OneTimeKemPreKeyPair[]> {
  if (!Number.isInteger(count) || count < 0)
    throw new RangeError(`One-time KEM prekey count must be >= 0, got ${count}`);
  checkId(firstId, 'oneTimeKemPreKey.id');
  if (count > 0) checkId(firstId + count - 1, 'oneTimeKemPreKey.id');
  const out: OneTimeKemPreKeyPair[] = [];
  for (let i = 0; i < count; i++) {
    const id = firstId + i;
    const keyPair = generateKemKeyPair(random);
    const signature = await signWithContext(
      identity.signing.privateKey,
      SignatureContext.ONE_TIME_KEM_PREKEY,
      u32be(id),
      keyPair.publicKey,
    );
    out.push({ kind: PreKeyKind.ONE_TIME_KEM, id, keyPair, signature });
  }
  return out;
}

export function signedPreKeyPublic(pair: SignedPreKeyPair): SignedPreKeyPublic {
  return {
    kind: PreKeyKind.SIGNED,
    id: pair.id,
    publicKey: pair.keyPair.publicKey,
    signature: pair.signature,
  };
}

export function oneTimePreKeyPublic(pair: OneTimePreKeyPair): OneTimePreKeyPublic {
  return { kind: PreKeyKind.ONE_TIME, id: pair.id, publicKey: pair.keyPair.publicKey };
}

export function kemPreKeyPublic(pair: KemPreKeyPair): KemPreKeyPublic {
  return {
    kind: PreKeyKind.KEM,
    id: pair.id,
    publicKey: pair.keyPair.publicKey,
    signature: pair.signature,
  };
}

export function oneTimeKemPreKeyPublic(pair: OneTimeKemPreKeyPair): OneTimeKemPreKeyPublic {
  return {
    kind: PreKeyKind.ONE_TIME_KEM,
    id: pair.id,
    publicKey: pair.keyPair.publicKey,
    signature: pair.signature,
  };
}

/** The signature context of each ML-KEM prekey kind. */
export function kemSignatureContext(kind: KemPreKeyKind): string {
  return kind === PreKeyKind.ONE_TIME_KEM
    ? SignatureContext.ONE_TIME_KEM_PREKEY
    : SignatureContext.KEM_PREKEY;
}
