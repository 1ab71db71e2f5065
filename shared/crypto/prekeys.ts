/**
 * Prekeys: the signed X25519 prekey, the one-time X25519 prekeys and the
 * ML-KEM prekey a device publishes for PQXDH (docs/protocol.md, prekeys).
 * Every prekey carries a `kind`, and every lookup by id checks it, so an id the
 * relay chose can never make us use a key of another type (CVE-2022-39250).
 */
import { type Bytes, u32be } from '../bytes.ts';
import { ErrorCode, fail } from '../errors.ts';
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
  KEM: 'kem-prekey',
} as const;
export type PreKeyKind = (typeof PreKeyKind)[keyof typeof PreKeyKind];

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

export type PreKeyPair = SignedPreKeyPair | OneTimePreKeyPair | KemPreKeyPair;
export type PreKeyPairOf<K extends PreKeyKind> = Extract<PreKeyPair, { readonly kind: K }>;

/** What a relay hands out for one device. The one-time and KEM prekeys may be absent. */
export interface PreKeyBundle {
  readonly identity: PublicIdentity;
  readonly signedPreKey: SignedPreKeyPublic;
  readonly oneTimePreKey?: OneTimePreKeyPublic | undefined;
  readonly kemPreKey?: KemPreKeyPublic | undefined;
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
    fail(ErrorCode.BAD_ARGUMENT, `One-time prekey count must be >= 0, got ${count}`);
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
