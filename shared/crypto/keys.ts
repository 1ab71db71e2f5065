/**
 * Parley's typed key material and its validation.
 *
 * An identity is an X25519 key (for X3DH) plus an Ed25519 key (for signatures),
 * bound together by an Ed25519 signature over the X25519 key: WebCrypto has no
 * XEdDSA, so unlike Signal both keys travel and are verified together.
 * Every prekey carries a `kind`, and every lookup by id checks it, so an id the
 * relay chose can never make us use a key of another type (CVE-2022-39250).
 *
 * The validators are what the relay runs on uploads: each failure is a
 * ParleyError with a stable code and `details.field` naming what failed.
 */
import { type Bytes, equalBytes, u32be, utf8 } from '../bytes.ts';
import { ErrorCode, fail, isParleyError, ParleyError } from '../errors.ts';
import {
  ED25519_PUBLIC_KEY_BYTES,
  ED25519_SIGNATURE_BYTES,
  generateSigningKeyPair,
  type SigningKeyPair,
  signedPayload,
  signingKeyPairFromPrivate,
  signWithContext,
  validateEd25519Public,
  verify,
} from './ed25519.ts';
import { SignatureContext } from './labels.ts';
import {
  generateKemKeyPair,
  type KemKeyPair,
  MLKEM768_PUBLIC_KEY_BYTES,
  validateKemPublic,
} from './mlkem.ts';
import type { Random } from './random.ts';
import {
  type DhKeyPair,
  dhKeyPairFromPrivate,
  generateDhKeyPair,
  validateX25519Public,
  X25519_KEY_BYTES,
} from './x25519.ts';

/** Encode(IK) = 0x01 || IK.dh || IK.signing (the 0x01 names this key format). */
export const IDENTITY_ENCODING_TAG = 0x01;
export const ENCODED_IDENTITY_BYTES = 1 + X25519_KEY_BYTES + ED25519_PUBLIC_KEY_BYTES;
export const MAX_PREKEY_ID = 0xffffffff;

export type GenerateDhKeyPair = () => Promise<DhKeyPair>;

/**
 * Prekey private keys stay inside WebCrypto by default (non-extractable; a
 * CryptoKey can still be stored in IndexedDB). They are only ever used for DH.
 */
const generatePreKeyPair: GenerateDhKeyPair = () => generateDhKeyPair(false);

// ---------------------------------------------------------------------------
// Identity

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

// ---------------------------------------------------------------------------
// Device key and certificate

export interface DeviceCertificate {
  readonly userId: string;
  readonly deviceId: number;
  readonly deviceKey: Bytes;
  /** Milliseconds since the Unix epoch. */
  readonly createdAt: number;
  /** sign(IK.signing, DEVICE_CERTIFICATE, userId, u32 deviceId, deviceKey, u64 createdAt) */
  readonly signature: Bytes;
}

export interface UnsignedDeviceCertificate {
  readonly userId: string;
  readonly deviceId: number;
  readonly deviceKey: Uint8Array;
  readonly createdAt: number;
}

/** The per-device Ed25519 key: non-extractable, it only ever signs relay challenges. */
export function generateDeviceKey(): Promise<SigningKeyPair> {
  return generateSigningKeyPair(false);
}

function u64be(n: number): Bytes {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new RangeError(`Expected a non-negative safe integer, got ${n}`);
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setUint32(0, Math.floor(n / 2 ** 32));
  view.setUint32(4, n >>> 0);
  return out;
}

function deviceCertificateFields(c: UnsignedDeviceCertificate): Uint8Array[] {
  return [utf8(c.userId), u32be(c.deviceId), c.deviceKey, u64be(c.createdAt)];
}

export async function certifyDevice(
  identity: IdentityKeyPair,
  unsigned: UnsignedDeviceCertificate,
): Promise<DeviceCertificate> {
  checkId(unsigned.deviceId, 'deviceCertificate.deviceId');
  checkTimestamp(unsigned.createdAt, 'deviceCertificate.createdAt');
  const deviceKey = checkEd25519(unsigned.deviceKey, 'deviceCertificate.deviceKey');
  const signature = await signWithContext(
    identity.signing.privateKey,
    SignatureContext.DEVICE_CERTIFICATE,
    ...deviceCertificateFields(unsigned),
  );
  return {
    userId: unsigned.userId,
    deviceId: unsigned.deviceId,
    deviceKey,
    createdAt: unsigned.createdAt,
    signature,
  };
}

export async function validateDeviceCertificate(
  identitySigningKey: Uint8Array,
  certificate: DeviceCertificate,
): Promise<void> {
  checkEd25519(identitySigningKey, 'identity.signing');
  if (typeof certificate.userId !== 'string' || certificate.userId.length === 0) {
    invalid(ErrorCode.BAD_ARGUMENT, 'deviceCertificate.userId', 'must be a non-empty string');
  }
  checkId(certificate.deviceId, 'deviceCertificate.deviceId');
  checkTimestamp(certificate.createdAt, 'deviceCertificate.createdAt');
  checkEd25519(certificate.deviceKey, 'deviceCertificate.deviceKey');
  await checkSignatures([
    {
      field: 'deviceCertificate.signature',
      signer: identitySigningKey,
      signature: certificate.signature,
      context: SignatureContext.DEVICE_CERTIFICATE,
      fields: deviceCertificateFields(certificate),
    },
  ]);
}

// ---------------------------------------------------------------------------
// Prekeys

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

// ---------------------------------------------------------------------------
// A full key set for one device (tests, onboarding)

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
    throw new RangeError(`No one-time prekey at index ${index}`);
  return {
    identity: publicIdentity(set.identity),
    signedPreKey: signedPreKeyPublic(set.signedPreKey),
    ...(opk === undefined ? {} : { oneTimePreKey: oneTimePreKeyPublic(opk) }),
    ...(options.withKemPreKey === false ? {} : { kemPreKey: kemPreKeyPublic(set.kemPreKey) }),
  };
}

// ---------------------------------------------------------------------------
// Lookup by (kind, id)

/**
 * The responder's private prekeys, asked for by kind and id. Implementations
 * keep one store per kind; Parley still checks the kind and id of what comes
 * back, so a store bug cannot hand a key of one kind to a slot of another.
 */
export interface PreKeyLookup {
  getPreKey(kind: PreKeyKind, id: number): Promise<PreKeyPair | undefined>;
}

export async function lookupPreKey<K extends PreKeyKind>(
  lookup: PreKeyLookup,
  kind: K,
  id: number,
): Promise<PreKeyPairOf<K>> {
  const found = await lookup.getPreKey(kind, id);
  if (found === undefined) {
    fail(ErrorCode.PREKEY_MISSING, `No ${kind} with id ${id}`, { kind, id });
  }
  if (found.kind !== kind || found.id !== id) {
    fail(ErrorCode.KEY_TYPE, `Lookup for ${kind} ${id} returned a ${found.kind} ${found.id}`, {
      kind,
      id,
    });
  }
  return found as PreKeyPairOf<K>;
}

/** In-memory lookup over a key set (tests; the client keeps its own stores). */
export function memoryPreKeyLookup(keys: readonly PreKeyPair[]): PreKeyLookup {
  const byKind = new Map<PreKeyKind, Map<number, PreKeyPair>>();
  for (const key of keys) {
    let forKind = byKind.get(key.kind);
    if (forKind === undefined) {
      forKind = new Map();
      byKind.set(key.kind, forKind);
    }
    forKind.set(key.id, key);
  }
  return {
    getPreKey: async (kind, id) => byKind.get(kind)?.get(id),
  };
}

export function preKeysOf(set: DeviceKeySet): PreKeyPair[] {
  return [set.signedPreKey, ...set.oneTimePreKeys, set.kemPreKey];
}

// ---------------------------------------------------------------------------
// Validation (what the relay runs on every upload, and the initiator on every bundle)

function invalid(code: ErrorCode, field: string, reason: string): never {
  throw new ParleyError(code, `Invalid ${field}: ${reason}`, { field });
}

/** Re-throws a primitive's ParleyError with the field that failed added to its details. */
function inField<T>(field: string, check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (isParleyError(e))
      throw new ParleyError(e.code, `Invalid ${field}: ${e.message}`, { ...e.details, field });
    throw e;
  }
}

function checkId(id: unknown, field: string): number {
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > MAX_PREKEY_ID) {
    invalid(ErrorCode.BAD_ARGUMENT, field, 'must be an integer in [0, 2^32)');
  }
  return id;
}

function checkTimestamp(t: unknown, field: string): number {
  if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0) {
    invalid(ErrorCode.BAD_ARGUMENT, field, 'must be a non-negative integer (ms since epoch)');
  }
  return t;
}

function checkBytes(value: unknown, field: string): Uint8Array {
  if (!(value instanceof Uint8Array)) invalid(ErrorCode.BAD_ARGUMENT, field, 'expected bytes');
  return value;
}

function checkX25519(value: unknown, field: string): Bytes {
  const bytes = checkBytes(value, field);
  return inField(field, () => validateX25519Public(bytes, field)) as Bytes;
}

function checkEd25519(value: unknown, field: string): Bytes {
  const bytes = checkBytes(value, field);
  return inField(field, () => validateEd25519Public(bytes, field)) as Bytes;
}

function checkKind(value: { readonly kind?: unknown }, kind: PreKeyKind, field: string): void {
  if (value.kind !== kind)
    invalid(ErrorCode.KEY_TYPE, field, `expected a ${kind}, got ${String(value.kind)}`);
}

interface SignatureCheck {
  readonly field: string;
  readonly signer: Uint8Array;
  readonly signature: unknown;
  readonly context: string;
  readonly fields: readonly Uint8Array[];
}

/**
 * Verifies all signatures concurrently, then reports the first failure in list
 * order, so the error does not depend on which verification finished first.
 */
function checkSignatures(checks: readonly SignatureCheck[]): Promise<void> {
  for (const c of checks) {
    const sig = checkBytes(c.signature, c.field);
    if (sig.length !== ED25519_SIGNATURE_BYTES) {
      invalid(
        ErrorCode.SIGNATURE_INVALID,
        c.field,
        `expected ${ED25519_SIGNATURE_BYTES} bytes, got ${sig.length}`,
      );
    }
  }
  const pending = checks.map((c) =>
    verify(c.signer, c.signature as Uint8Array, signedPayload(c.context, ...c.fields)),
  );
  return Promise.all(pending).then((results) => {
    results.forEach((ok, i) => {
      const c = checks[i];
      if (!ok && c !== undefined)
        invalid(ErrorCode.SIGNATURE_INVALID, c.field, 'signature does not verify');
    });
  });
}

function identityChecks(identity: PublicIdentity, field: string): SignatureCheck[] {
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

function kemPreKeyChecks(
  signer: Uint8Array,
  kpk: KemPreKeyPublic,
  field: string,
  checkEncapsulationKey: boolean,
): SignatureCheck[] {
  checkKind(kpk, PreKeyKind.KEM, field);
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
      context: SignatureContext.KEM_PREKEY,
      fields: [u32be(kpk.id), key],
    },
  ];
}

function oneTimePreKeyCheck(opk: OneTimePreKeyPublic, field: string): void {
  checkKind(opk, PreKeyKind.ONE_TIME, field);
  checkId(opk.id, `${field}.id`);
  checkX25519(opk.publicKey, `${field}.publicKey`);
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
  await checkSignatures(kemPreKeyChecks(identitySigningKey, preKey, field, true));
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
