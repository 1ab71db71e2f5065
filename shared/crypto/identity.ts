/**
 * A Parley identity: an X25519 key (for X3DH) plus an Ed25519 key (for
 * signatures), bound together by an Ed25519 signature over the X25519 key:
 * WebCrypto has no XEdDSA, so unlike Signal both keys travel and are verified
 * together (docs/protocol.md, identity keys).
 */
import { type Bytes, equalBytes } from '../bytes.ts';
import {
  ED25519_PUBLIC_KEY_BYTES,
  generateSigningKeyPair,
  type SigningKeyPair,
  signingKeyPairFromPrivate,
  signWithContext,
} from './ed25519.ts';
import { checkEd25519, checkSignatures, checkX25519, type SignatureCheck } from './field-checks.ts';
import { SignatureContext } from './labels.ts';
import {
  type DhKeyPair,
  dhKeyPairFromPrivate,
  generateDhKeyPair,
  X25519_KEY_BYTES,
} from './x25519.ts';

/** Encode(IK) = 0x01 || IK.dh || IK.signing (the 0x01 names this key format). */
export const IDENTITY_ENCODING_TAG = 0x01;
export const ENCODED_IDENTITY_BYTES = 1 + X25519_KEY_BYTES + ED25519_PUBLIC_KEY_BYTES;

export interface IdentityPublicKeys {
  readonly dh: Bytes;
  readonly signing: Bytes;
}

export interface PublicIdentity extends IdentityPublicKeys {
  /** sign(signing, IDENTITY_BINDING, dh) */
  readonly binding: Bytes;
}

export interface IdentityKeyPair {
  readonly dh: DhKeyPair;
  readonly signing: SigningKeyPair;
  readonly binding: Bytes;
}

export function publicIdentity(identity: IdentityKeyPair): PublicIdentity {
  return {
    dh: identity.dh.publicKey,
    signing: identity.signing.publicKey,
    binding: identity.binding,
  };
}

/** 65 bytes used in associated data and safety numbers. */
export function encodeIdentity(identity: IdentityPublicKeys): Bytes {
  const out = new Uint8Array(ENCODED_IDENTITY_BYTES);
  out[0] = IDENTITY_ENCODING_TAG;
  out.set(identity.dh, 1);
  out.set(identity.signing, 1 + X25519_KEY_BYTES);
  return out;
}

export function sameIdentity(a: IdentityPublicKeys, b: IdentityPublicKeys): boolean {
  return equalBytes(a.dh, b.dh) && equalBytes(a.signing, b.signing);
}

async function identityFromParts(dh: DhKeyPair, signing: SigningKeyPair): Promise<IdentityKeyPair> {
  const binding = await signWithContext(
    signing.privateKey,
    SignatureContext.IDENTITY_BINDING,
    dh.publicKey,
  );
  return { dh, signing, binding };
}

/** New identity; `extractable: false` keeps both private keys inside WebCrypto. */
export async function generateIdentityKeyPair(extractable = false): Promise<IdentityKeyPair> {
  const [dh, signing] = await Promise.all([
    generateDhKeyPair(extractable),
    generateSigningKeyPair(extractable),
  ]);
  return identityFromParts(dh, signing);
}

/** Deterministic identity from raw private keys (test vectors, restores). */
export async function identityKeyPairFromPrivate(
  dhPrivate: Uint8Array,
  signingSeed: Uint8Array,
  extractable = true,
): Promise<IdentityKeyPair> {
  const [dh, signing] = await Promise.all([
    dhKeyPairFromPrivate(dhPrivate, extractable),
    signingKeyPairFromPrivate(signingSeed, extractable),
  ]);
  return identityFromParts(dh, signing);
}

export function identityChecks(identity: PublicIdentity, field: string): SignatureCheck[] {
  checkX25519(identity.dh, `${field}.dh`);
  checkEd25519(identity.signing, `${field}.signing`);
  return [
    {
      field: `${field}.binding`,
      signer: identity.signing,
      signature: identity.binding,
      context: SignatureContext.IDENTITY_BINDING,
      fields: [identity.dh],
    },
  ];
}

/** Identity keys: lengths, no small-order X25519 point, binding signature. */
export async function validatePublicIdentity(
  identity: PublicIdentity,
  field = 'identity',
): Promise<void> {
  await beginIdentityValidation(identity, field);
}

/**
 * Like validatePublicIdentity, but the structural checks throw synchronously
 * and only the signature check is left pending, so callers can start dependent
 * work knowing the keys are well formed.
 */
export function beginIdentityValidation(
  identity: PublicIdentity,
  field = 'identity',
): Promise<void> {
  return checkSignatures(identityChecks(identity, field));
}
