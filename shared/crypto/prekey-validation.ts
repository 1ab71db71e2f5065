/**
 * Prekey validation: what the relay runs on every upload, and the initiator on
 * every bundle. Each failure is a ParleyError with a stable code and
 * `details.field` naming what failed.
 */
import { u32be } from '../bytes.ts';
import { ErrorCode } from '../errors.ts';
import {
  checkBytes,
  checkEd25519,
  checkId,
  checkKind,
  checkSignatures,
  checkX25519,
  inField,
  invalid,
  type SignatureCheck,
} from './field-checks.ts';
import { identityChecks } from './identity.ts';
import { SignatureContext } from './labels.ts';
import { MLKEM768_PUBLIC_KEY_BYTES, validateKemPublic } from './mlkem.ts';
import {
  type AnyKemPreKeyPublic,
  type KemPreKeyKind,
  type KemPreKeyPublic,
  kemSignatureContext,
  type OneTimeKemPreKeyPublic,
  type OneTimePreKeyPublic,
  type PreKeyBundle,
  PreKeyKind,
  type SignedPreKeyPublic,
} from './prekeys.ts';

function signedPreKeyChecks(
  signer: Uint8Array,
  spk: SignedPreKeyPublic,
  field: string,
): SignatureCheck[] {
  checkKind(spk, PreKeyKind.SIGNED, field);
  checkId(spk.id, `${field}.id`);
  checkX25519(spk.publicKey, `${field}.publicKey`);
  return [
    {
      field: `${field}.signature`,
      signer,
      signature: spk.signature,
      context: SignatureContext.SIGNED_PREKEY,
      fields: [u32be(spk.id), spk.publicKey],
    },
  ];
}

/**
 * `expected` is the kind the slot takes, or undefined where either ML-KEM kind
 * fits (a bundle); the kind picks the signature context, so a key signed as
 * one kind never verifies as the other.
 */
function kemPreKeyChecks(
  signer: Uint8Array,
  kpk: AnyKemPreKeyPublic,
  field: string,
  checkEncapsulationKey: boolean,
  expected?: KemPreKeyKind,
): SignatureCheck[] {
  if (expected !== undefined) checkKind(kpk, expected, field);
  else if (kpk.kind !== PreKeyKind.ONE_TIME_KEM) checkKind(kpk, PreKeyKind.KEM, field);
  checkId(kpk.id, `${field}.id`);
  const key = checkBytes(kpk.publicKey, `${field}.publicKey`);
  if (key.length !== MLKEM768_PUBLIC_KEY_BYTES) {
    invalid(
      ErrorCode.KEY_LENGTH,
      `${field}.publicKey`,
      `expected ${MLKEM768_PUBLIC_KEY_BYTES} bytes, got ${key.length}`,
    );
  }
  if (checkEncapsulationKey) inField(`${field}.publicKey`, () => validateKemPublic(key));
  return [
    {
      field: `${field}.signature`,
      signer,
      signature: kpk.signature,
      context: kemSignatureContext(kpk.kind),
      fields: [u32be(kpk.id), key],
    },
  ];
}

function oneTimePreKeyCheck(opk: OneTimePreKeyPublic, field: string): void {
  checkKind(opk, PreKeyKind.ONE_TIME, field);
  checkId(opk.id, `${field}.id`);
  checkX25519(opk.publicKey, `${field}.publicKey`);
}

export async function validateSignedPreKey(
  identitySigningKey: Uint8Array,
  preKey: SignedPreKeyPublic,
  field = 'signedPreKey',
): Promise<void> {
  checkEd25519(identitySigningKey, 'identity.signing');
  await checkSignatures(signedPreKeyChecks(identitySigningKey, preKey, field));
}

export function validateOneTimePreKey(preKey: OneTimePreKeyPublic, field = 'oneTimePreKey'): void {
  oneTimePreKeyCheck(preKey, field);
}

/** Includes the FIPS 203 encapsulation-key check (costs about one encapsulation). */
export async function validateKemPreKey(
  identitySigningKey: Uint8Array,
  preKey: KemPreKeyPublic,
  field = 'kemPreKey',
): Promise<void> {
  checkEd25519(identitySigningKey, 'identity.signing');
  await checkSignatures(kemPreKeyChecks(identitySigningKey, preKey, field, true, PreKeyKind.KEM));
}

/**
 * One-time ML-KEM prekeys (an upload's list): each must be of that kind (a
 * last-resort key is KEY_TYPE), well formed (FIPS 203 check included) and
 * signed under ONE_TIME_KEM_PREKEY; fields are `${field}[i]`.
 */
export async function validateOneTimeKemPreKeys(
  identitySigningKey: Uint8Array,
  preKeys: readonly OneTimeKemPreKeyPublic[],
  field = 'oneTimeKemPreKeys',
): Promise<void> {
  checkEd25519(identitySigningKey, 'identity.signing');
  const checks = preKeys.flatMap((k, i) =>
    kemPreKeyChecks(identitySigningKey, k, `${field}[${i}]`, true, PreKeyKind.ONE_TIME_KEM),
  );
  await checkSignatures(checks);
}

export interface BundleValidationOptions {
  /**
   * Run the FIPS 203 check on the KEM key (default true). The initiator skips it
   * because encapsulation performs the same check and fails with KEY_INVALID.
   */
  readonly checkKemEncapsulationKey?: boolean;
}

/** Every structural check first, then all signatures at once. */
export async function validatePreKeyBundle(
  bundle: PreKeyBundle,
  options: BundleValidationOptions = {},
): Promise<void> {
  await beginPreKeyBundleValidation(bundle, options);
}

/** Structural checks throw synchronously; the returned promise settles the signatures. */
export function beginPreKeyBundleValidation(
  bundle: PreKeyBundle,
  options: BundleValidationOptions = {},
): Promise<void> {
  const checks = identityChecks(bundle.identity, 'identity');
  const signer = bundle.identity.signing;
  checks.push(...signedPreKeyChecks(signer, bundle.signedPreKey, 'signedPreKey'));
  if (bundle.oneTimePreKey !== undefined) oneTimePreKeyCheck(bundle.oneTimePreKey, 'oneTimePreKey');
  if (bundle.kemPreKey !== undefined) {
    checks.push(
      ...kemPreKeyChecks(
        signer,
        bundle.kemPreKey,
        'kemPreKey',
        options.checkKemEncapsulationKey ?? true,
      ),
    );
  }
  return checkSignatures(checks);
}
