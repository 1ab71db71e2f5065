/**
 * Session key agreement: X3DH (Signal, revision 1) and PQXDH (Signal, revision 3)
 * with X25519, SHA-256 and ML-KEM-768.
 *
 *   DH1 = DH(IK_A, SPK_B)   DH2 = DH(EK_A, IK_B)   DH3 = DH(EK_A, SPK_B)
 *   DH4 = DH(EK_A, OPK_B)   (only if the bundle had a one-time prekey)
 *   SS  = ML-KEM-768 shared secret for PQPK_B (PQXDH only)
 *   SK  = HKDF-SHA-256(ikm = F || DH1 || DH2 || DH3 [|| DH4] [|| SS],
 *                      salt = 32 zero bytes, info = Label.X3DH | Label.PQXDH, 32 bytes)
 *   F   = 32 bytes of 0xFF
 *
 * PQXDH is used whenever the bundle carries a KEM prekey (one-time or
 * last-resort), X3DH otherwise; the prekey message records which (flags), and
 * which kind of KEM prekey its id names. Identity keys are X25519 + Ed25519
 * pairs bound by a signature (no XEdDSA in WebCrypto), and the associated data
 * Encode(IK_A) || Encode(IK_B) is built by the session layer.
 *
 * Independent work runs concurrently: the DHs go to WebCrypto's thread pool
 * while the ML-KEM operation (synchronous, @noble) runs on the main thread.
 */
import { type Bytes, concat } from '../bytes.ts';
import { ErrorCode, fail, isParleyError, ParleyError } from '../errors.ts';
import { beginIdentityValidation, type IdentityKeyPair } from './identity.ts';
import { hkdf } from './kdf.ts';
import { Label } from './labels.ts';
import type { PreKeyFields } from './message-format.ts';
import { decapsulate, encapsulate } from './mlkem.ts';
import { lookupPreKey, type PreKeyLookup } from './prekey-lookup.ts';
import { beginPreKeyBundleValidation } from './prekey-validation.ts';
import {
  type KemPreKeyKind,
  type PreKeyBundle,
  PreKeyKind,
  type SignedPreKeyPair,
} from './prekeys.ts';
import type { Random } from './random.ts';
import { type DhKeyPair, dh, importDhPublic, validateX25519Public } from './x25519.ts';

export const KeyAgreement = {
  X3DH: 'x3dh',
  PQXDH: 'pqxdh',
} as const;
export type KeyAgreement = (typeof KeyAgreement)[keyof typeof KeyAgreement];

export const SHARED_SECRET_BYTES = 32;
const F = new Uint8Array(32).fill(0xff);

/** KDF(KM) of both specs; `kemSecret` present means PQXDH. */
export function deriveSharedSecret(
  dhOutputs: readonly Uint8Array[],
  kemSecret?: Uint8Array,
): Bytes {
  if (dhOutputs.length !== 3 && dhOutputs.length !== 4) {
    throw new RangeError(`Key agreement takes 3 or 4 DH outputs, got ${dhOutputs.length}`);
  }
  const ikm =
    kemSecret === undefined ? concat(F, ...dhOutputs) : concat(F, ...dhOutputs, kemSecret);
  const info = kemSecret === undefined ? Label.X3DH : Label.PQXDH;
  const sk = hkdf(ikm, undefined, info, SHARED_SECRET_BYTES);
  ikm.fill(0);
  return sk;
}

export interface KeyAgreementDeps {
  readonly random: Random;
  readonly generateDhKeyPair: () => Promise<DhKeyPair>;
}

export interface InitiatorAgreement {
  readonly kind: KeyAgreement;
  readonly sharedSecret: Bytes;
  /** What the prekey message must carry, except the initiator identity. */
  readonly preKey: Omit<PreKeyFields, 'identity'>;
}

export interface ResponderAgreement {
  readonly kind: KeyAgreement;
  readonly sharedSecret: Bytes;
  /** Its key pair is the responder's first ratchet key. */
  readonly signedPreKey: SignedPreKeyPair;
  /** The one-time prekey used: the caller deletes it. */
  readonly oneTimePreKeyId: number | undefined;
  readonly kemPreKeyId: number | undefined;
  /** The kind of that KEM prekey: a one-time one is the caller's to delete. */
  readonly kemPreKeyKind: KemPreKeyKind | undefined;
}

function quiet(...promises: readonly Promise<unknown>[]): void {
  for (const p of promises) p.catch(() => undefined);
}

/** Alice's side: validates the whole bundle (every signature) before returning anything. */
export async function initiateKeyAgreement(
  deps: KeyAgreementDeps,
  ours: IdentityKeyPair,
  bundle: PreKeyBundle,
): Promise<InitiatorAgreement> {
  // Structure is checked synchronously here; signatures verify while the DHs run.
  // The encapsulation below checks the KEM key (FIPS 203) itself.
  const validation = beginPreKeyBundleValidation(bundle, { checkKemEncapsulationKey: false });
  quiet(validation);
  const ephemeral = deps.generateDhKeyPair();
  const theirIdentity = importDhPublic(bundle.identity.dh);
  const theirSignedPreKey = importDhPublic(bundle.signedPreKey.publicKey);
  const opk = bundle.oneTimePreKey;
  const theirOneTimePreKey = opk === undefined ? undefined : importDhPublic(opk.publicKey);
  const dh1 = theirSignedPreKey.then((k) => dh(ours.dh.privateKey, k));
  const dh2 = Promise.all([ephemeral, theirIdentity]).then(([e, k]) => dh(e.privateKey, k));
  const dh3 = Promise.all([ephemeral, theirSignedPreKey]).then(([e, k]) => dh(e.privateKey, k));
  const dh4 =
    theirOneTimePreKey === undefined
      ? undefined
      : Promise.all([ephemeral, theirOneTimePreKey]).then(([e, k]) => dh(e.privateKey, k));
  quiet(ephemeral, dh1, dh2, dh3, ...(dh4 === undefined ? [] : [dh4]));

  // Main thread: encapsulate while the thread pool computes the DHs.
  let kem: { cipherText: Bytes; sharedSecret: Bytes } | undefined;
  let kemError: unknown;
  if (bundle.kemPreKey !== undefined) {
    try {
      kem = encapsulate(bundle.kemPreKey.publicKey, deps.random);
    } catch (e) {
      kemError = e;
    }
  }
  await validation; // signature failures are reported before a bad KEM key
  if (kemError !== undefined) throw inField(kemError, 'kemPreKey.publicKey');

  const outputs = await Promise.all(dh4 === undefined ? [dh1, dh2, dh3] : [dh1, dh2, dh3, dh4]);
  const sharedSecret = deriveSharedSecret(outputs, kem?.sharedSecret);
  for (const o of outputs) o.fill(0);
  const ek = await ephemeral;
  return {
    kind: kem === undefined ? KeyAgreement.X3DH : KeyAgreement.PQXDH,
    sharedSecret,
    preKey: {
      baseKey: ek.publicKey,
      signedPreKeyId: bundle.signedPreKey.id,
      oneTimePreKeyId: opk?.id,
      kemPreKeyId: bundle.kemPreKey?.id,
      ...(bundle.kemPreKey?.kind === PreKeyKind.ONE_TIME_KEM
        ? { kemPreKeyKind: PreKeyKind.ONE_TIME_KEM }
        : {}),
      kemCiphertext: kem?.cipherText,
    },
  };
}

function inField(error: unknown, field: string): unknown {
  return isParleyError(error)
    ? new ParleyError(error.code, `Invalid ${field}: ${error.message}`, { ...error.details, field })
    : error;
}

/**
 * Bob's side: checks the initiator's identity binding and base key, looks up
 * each prekey by (kind, id), and derives the same SK. Nothing is consumed here:
 * the caller deletes the one-time prekey only after the first message decrypts.
 */
export async function respondKeyAgreement(
  ours: IdentityKeyPair,
  lookup: PreKeyLookup,
  fields: PreKeyFields,
): Promise<ResponderAgreement> {
  try {
    validateX25519Public(fields.baseKey, 'baseKey');
  } catch (e) {
    throw inField(e, 'baseKey');
  }
  const identityValid = beginIdentityValidation(fields.identity, 'initiatorIdentity');
  quiet(identityValid);
  const [spk, opk, kpk] = await Promise.all([
    lookupPreKey(lookup, PreKeyKind.SIGNED, fields.signedPreKeyId),
    fields.oneTimePreKeyId === undefined
      ? undefined
      : lookupPreKey(lookup, PreKeyKind.ONE_TIME, fields.oneTimePreKeyId),
    fields.kemPreKeyId === undefined
      ? undefined
      : lookupPreKey(lookup, fields.kemPreKeyKind ?? PreKeyKind.KEM, fields.kemPreKeyId),
  ]);
  await identityValid;

  const theirIdentity = importDhPublic(fields.identity.dh);
  const baseKey = importDhPublic(fields.baseKey);
  const dh1 = theirIdentity.then((k) => dh(spk.keyPair.privateKey, k));
  const dh2 = baseKey.then((k) => dh(ours.dh.privateKey, k));
  const dh3 = baseKey.then((k) => dh(spk.keyPair.privateKey, k));
  const dh4 = opk === undefined ? undefined : baseKey.then((k) => dh(opk.keyPair.privateKey, k));
  quiet(dh1, dh2, dh3, ...(dh4 === undefined ? [] : [dh4]));

  let kemSecret: Bytes | undefined;
  if (kpk !== undefined) {
    if (fields.kemCiphertext === undefined)
      fail(ErrorCode.MESSAGE_MALFORMED, 'Prekey message: KEM id without ciphertext');
    // ML-KEM decapsulation never fails on a well-formed ciphertext (implicit rejection):
    // a forged one yields a random secret and the first message fails to decrypt.
    kemSecret = decapsulate(fields.kemCiphertext, kpk.keyPair.secretKey);
  }
  const outputs = await Promise.all(dh4 === undefined ? [dh1, dh2, dh3] : [dh1, dh2, dh3, dh4]);
  const sharedSecret = deriveSharedSecret(outputs, kemSecret);
  for (const o of outputs) o.fill(0);
  return {
    kind: kemSecret === undefined ? KeyAgreement.X3DH : KeyAgreement.PQXDH,
    sharedSecret,
    signedPreKey: spk,
    oneTimePreKeyId: opk?.id,
    kemPreKeyId: kpk?.id,
    kemPreKeyKind: kpk?.kind,
  };
}
